/// Interns the byte strings that occur in templates as small integers, so the parse tree and the similarity
/// test compare integers instead of strings.
///
/// Lookups never allocate and never insert: a token of a log line that is in no template (a user name, a
/// file name the masks did not catch) reads as `TokenTable.unseen`, which equals nothing. Only tokens that
/// become part of a template are inserted, so the table grows with the templates, not with the lines — a
/// daemon that reads the journal for months keeps a bounded table.
struct TokenTable: Sendable {
    /// A variable position (`<*>`).
    static let wildcard: Int32 = -1
    /// A token that is in no template.
    static let unseen: Int32 = -2

    /// All interned tokens' bytes, back to back; token `i` is `bytes[starts[i]..<starts[i + 1]]`.
    private var bytes: [UInt8] = []
    private var starts: [Int] = [0]
    /// Open addressing, linear probing: slot → token id + 1 (0: empty). The capacity is a power of two.
    private var slots: [Int32] = Array(repeating: 0, count: 64)

    var count: Int { starts.count - 1 }

    /// The bytes of token `id` as a string (template rendering and persistence).
    func text(of id: Int32) -> String {
        if id == Self.wildcard { return "<*>" }
        return String(decoding: bytes[starts[Int(id)]..<starts[Int(id) + 1]], as: UTF8.self)
    }

    /// FNV-1a over the bytes.
    @inline(__always)
    private static func hash(_ token: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in token { value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return value
    }

    private func equals(_ id: Int32, _ token: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = starts[Int(id)]
        let end = starts[Int(id) + 1]
        guard end - start == token.count else { return false }
        return bytes.withUnsafeBufferPointer { stored in
            for i in 0..<token.count where stored[start + i] != token[i] { return false }
            return true
        }
    }

    /// The id of `token`, or `unseen`.
    func lookup(_ token: UnsafeBufferPointer<UInt8>) -> Int32 {
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: Self.hash(token)) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 { return Self.unseen }
            if equals(entry - 1, token) { return entry - 1 }
            slot = (slot + 1) & mask
        }
    }

    /// The id of `token`, inserting it when new.
    mutating func intern(_ token: UnsafeBufferPointer<UInt8>) -> Int32 {
        let found = lookup(token)
        if found != Self.unseen { return found }
        let id = Int32(count)
        bytes.append(contentsOf: token)
        starts.append(bytes.count)
        if count * 2 > slots.count { rehash(capacity: slots.count * 2) } else { place(id, hash: Self.hash(token)) }
        return id
    }

    mutating func intern(_ text: String) -> Int32 {
        if text == "<*>" { return Self.wildcard }
        var utf8 = Array(text.utf8)
        return utf8.withUnsafeMutableBufferPointer { intern(UnsafeBufferPointer($0)) }
    }

    private mutating func place(_ id: Int32, hash: UInt64) {
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        slots[slot] = id + 1
    }

    private mutating func rehash(capacity: Int) {
        slots = Array(repeating: 0, count: capacity)
        let stored = bytes
        for id in 0..<count {
            let hash = stored.withUnsafeBufferPointer {
                Self.hash(UnsafeBufferPointer(rebasing: $0[starts[id]..<starts[id + 1]]))
            }
            place(Int32(id), hash: hash)
        }
    }
}
