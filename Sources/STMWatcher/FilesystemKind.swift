internal import Glibc

/// Whether a folder lives on a filesystem where inotify does not see other machines' writes, from the
/// `statfs(2)` magic number.
enum FilesystemKind {
    /// Network and FUSE filesystems: a change made by another client (or the FUSE server) raises no inotify
    /// event here, so these roots are polled.
    static let networkMagics: [UInt32: String] = [
        0x6969: "nfs",
        0x517B: "smb",
        0xFE53_4D42: "smb2",
        0xFF53_4D42: "cifs",
        0x6573_5546: "fuse",  // sshfs, rclone, virtiofs, s3fs…
        0x0102_1997: "9p",
        0x00C3_6400: "ceph",
        0x5346_414F: "afs",
        0x6B41_4653: "kafs",
        0x7375_7245: "coda",
        0x564C: "ncp",
        0x0116_1970: "gfs2",
        0x7461_636F: "ocfs2",
        0x0BD0_0BD0: "lustre",
        0x4750_4653: "gpfs",
        0x1366_1366: "orangefs",
        0x786F_4256: "vboxsf",
    ]

    static func isNetwork(magic: UInt32) -> Bool { networkMagics[magic] != nil }

    private typealias StatfsFunction = @convention(c) (UnsafePointer<CChar>, UnsafeMutableRawPointer) -> Int32

    /// glibc's `statfs`, looked up at run time: Swift's Glibc module does not import <sys/vfs.h>.
    private static let statfsFunction: StatfsFunction? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "statfs") else { return nil }
        return unsafeBitCast(symbol, to: StatfsFunction.self)
    }()

    /// The `f_type` of the filesystem holding `path`, or nil when it cannot be read.
    static func magic(of path: String) -> UInt32? {
        guard let statfs = statfsFunction else { return nil }
        // struct statfs is 120 bytes on 64-bit Linux; `f_type` (a long) is its first member.
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 256, alignment: 16)
        defer { buffer.deallocate() }
        guard statfs(path, buffer) == 0 else { return nil }
        return UInt32(truncatingIfNeeded: buffer.load(as: Int.self))
    }

    /// True when `path` should be polled.
    static func needsPolling(_ path: String) -> Bool {
        guard let magic = magic(of: path) else { return false }
        return isNetwork(magic: magic)
    }
}
