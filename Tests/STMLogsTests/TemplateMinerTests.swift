import Foundation
import STMLogs
import Testing

struct TemplateMinerTests {
    func texts(_ miner: TemplateMiner) -> [String] { miner.templates.map(\.text) }

    @Test func masksAddressesNumbersAndPortsIntoOneTemplate() {
        var miner = TemplateMiner()
        let first = miner.add("Accepted password for root from 10.0.0.1 port 22 ssh2")
        let second = miner.add("Accepted password for root from 192.168.17.250 port 52213 ssh2")
        #expect(first == TemplateMatch(templateId: 1, change: .created))
        #expect(second == TemplateMatch(templateId: 1, change: .none))
        // Any token with a digit is a variable, `ssh2` too.
        #expect(texts(miner) == ["Accepted password for root from <*> port <*> <*>"])
    }

    @Test func masksHexIdsUuidsPathsUrlsAndKeyValues() {
        var miner = TemplateMiner()
        _ = miner.add(
            "sshd[811]: open /var/log/syslog fd=0x1f id 3fa85f64-5717-4562-b3fc-2c963f66afa6 via https://example.org/x uid=1000 (pid 42),"
        )
        #expect(texts(miner) == ["sshd[<*>]: open <*> fd=<*> id <*> via <*> uid=<*> (pid <*>),"])
    }

    @Test func linesThatDifferInAFewWordsShareATemplateThatGeneralizes() {
        var miner = TemplateMiner()
        let alice = miner.add("session opened for user alice by sshd")
        let bob = miner.add("session opened for user bob by sshd")
        #expect(alice.templateId == bob.templateId)
        #expect(bob.change == .generalized(previous: "session opened for user alice by sshd"))
        #expect(miner.template(id: alice.templateId)?.text == "session opened for user <*> by sshd")
        #expect(miner.template(id: alice.templateId)?.count == 2)
    }

    @Test func dissimilarLinesAndOtherLengthsGetTheirOwnIds() {
        var miner = TemplateMiner()
        let a = miner.add("disk sda is full")
        let b = miner.add("network link eth is down")
        let c = miner.add("disk sda is full again")
        let d = miner.add("disk sda is full")
        let ids: [Int] = [a.templateId, b.templateId, c.templateId, d.templateId]
        #expect(ids == [1, 2, 3, 1])
        #expect(miner.templateCount == 3)
    }

    @Test func theTemplateLimitGivesTheUnknownId() {
        var miner = TemplateMiner(configuration: TemplateMinerConfiguration(maximumTemplates: 2))
        _ = miner.add("alpha beta gamma")
        _ = miner.add("one two")
        let overflow = miner.add("something else entirely here")
        #expect(overflow == TemplateMatch(templateId: TemplateMiner.unknownId, change: .overflow))
        let again = miner.add("alpha beta gamma")
        #expect(again.templateId == 1)
    }

    @Test func idsSurviveASaveAndLoadRoundTrip() throws {
        let lines = [
            "Started Session 12 of user root.", "Started Session 13 of user alice.",
            "Stopping User Manager for UID 0...",
            "pam_unix(sshd:session): session closed for user root",
            "Received disconnect from 10.1.1.1 port 4000:11: bye",
            "Received disconnect from 10.1.1.2 port 4100:11: bye", "Reached target Timers.", "Reached target Paths.",
        ]
        var original = TemplateMiner(configuration: TemplateMinerConfiguration(maximumChildren: 3))
        for line in lines { _ = original.add(line) }
        let data = try JSONEncoder().encode(original.state)
        var restored = try TemplateMiner(state: JSONDecoder().decode(TemplateMinerState.self, from: data))
        #expect(restored.templates == original.templates)
        let more = [
            "Started Session 99 of user bob.", "Reached target Sockets.",
            "Received disconnect from 10.9.9.9 port 1:11: bye",
            "a brand new line", "Stopping User Manager for UID 1000...", "Reached target Basic System.",
        ]
        for line in more {
            let afterRestart = restored.add(line)
            let withoutRestart = original.add(line)
            #expect(afterRestart == withoutRestart, "\(line)")
        }
        #expect(restored.state == original.state)
    }

    @Test func aCorruptStateIsRejected() throws {
        var miner = TemplateMiner()
        _ = miner.add("a b c")
        _ = miner.add("d e f g")
        var state = miner.state
        state.templates.swapAt(0, 1)
        #expect(throws: TemplateStateError.self) { try TemplateMiner(state: state) }
        state = miner.state
        state.format = "other"
        #expect(throws: TemplateStateError.unsupportedFormat("other")) { try TemplateMiner(state: state) }
    }
}

struct TemplateMinerRobustnessTests {
    @Test func arbitraryBytesNeverBreakTheMinerOrItsState() throws {
        var generator = FuzzGenerator(seed: 11)
        var miner = TemplateMiner(configuration: TemplateMinerConfiguration(maximumChildren: 4, maximumTemplates: 200))
        let alphabet: [UInt8] = Array("ab01 =:/[]()<*>\t\u{1}".utf8) + [0xFF, 0xC3, 0x28, 0x00]
        for _ in 0..<2000 {
            let length = Int(generator.next() % 40)
            let line = (0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }
            let match = line.withUnsafeBufferPointer { miner.add(bytes: $0) }
            #expect(match.templateId >= 0 && match.templateId <= 200)
        }
        #expect(miner.templateCount <= 200)
        let data = try JSONEncoder().encode(miner.state)
        let restored = try TemplateMiner(state: JSONDecoder().decode(TemplateMinerState.self, from: data))
        #expect(restored.templates == miner.templates)
    }

    @Test func groupingAccuracyCountsOnlyExactGroups() {
        // Parsed groups {0,1}, {2}, {3,4}; true groups {0,1}, {2,3}, {4}: only lines 0 and 1 are right.
        #expect(GroupingAccuracy.measure(parsed: [1, 1, 2, 3, 3], truth: ["A", "A", "B", "B", "C"]) == 0.4)
        #expect(GroupingAccuracy.measure(parsed: [7, 7, 9], truth: ["x", "x", "y"]) == 1)
    }
}

/// SplitMix64 without importing STMTensor here: enough randomness for a fuzz loop, the same every run.
struct FuzzGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
