import Testing

@testable import STMWatcher

/// The small pure parts: ignore rules, byte names, the fault specification, filesystem kinds.
struct WatcherPartsTests {
    @Test func ignoreRulesCoverDefaultsAndTheDaemonsOwnFilesByConstruction() {
        let defaults = IgnoreRules(patterns: WatchSettings.defaultIgnorePatterns)
        for name in [".x", "a~", "a.swp", "a.tmp", "a.part", "a.crdownload", "a.txt.stm.json", "a.stm.error.json"] {
            #expect(defaults.ignores(bytes(name)), "\(name)")
        }
        for name in ["a.txt", "stm.json", "a.stm.json.txt", "tmp", "a.tmp.txt"] {
            #expect(!defaults.ignores(bytes(name)), "\(name)")
        }
        let none = IgnoreRules(patterns: [])
        #expect(none.ignores(bytes(".a.txt.stm.json.tmp9")) && none.ignores(bytes("x.stm.json")))
        #expect(!none.ignores(bytes("a.tmp")))
        #expect(IgnoreRules(patterns: ["r\u{E9}*"]).ignores(bytes("r\u{E9}sum\u{E9}.txt")))
        #expect(IgnoreRules(patterns: ["*"]).ignores([0x66, 0xE9, 0x0A]))
        #expect(!IgnoreRules(patterns: ["secret-*"], builtIns: false).ignores(bytes(".hidden")))
    }

    @Test func byteNamesDisplayInvalidUTF8AsEscapes() {
        #expect(ByteNames.display(bytes("caf\u{E9}")) == "caf\u{E9}")
        #expect(ByteNames.display([0x63, 0x61, 0x66, 0xE9]) == "caf\\xE9")
        #expect(ByteNames.display([0xC3, 0xA9, 0xFF, 0x0A]) == "\u{E9}\\xFF\n")
        #expect(ByteNames.display([0xE2, 0x82]) == "\\xE2\\x82")
        #expect(ByteNames.normalizedRoot("/in///") == bytes("/in"))
        #expect(ByteNames.normalizedRoot("/") == bytes("/"))
        #expect(ByteNames.isWithin(bytes("a/b"), bytes("a")) && !ByteNames.isWithin(bytes("ab"), bytes("a")))
        #expect(ByteNames.isWithin(bytes("x"), []))
    }

    @Test func faultSpecificationParses() throws {
        let hooks = try WatcherFaultHooks(
            specification: "hide-event:secret-*, add-watch-enospc:3,init-emfile,hold-reading:/tmp/hold,hide-event:b")
        #expect(hooks.hiddenEventNames == ["secret-*", "b"])
        #expect(hooks.failAddWatchAfter == 3)
        #expect(hooks.failInotifyInit)
        #expect(hooks.holdReadingWhileExists == "/tmp/hold")
        #expect(try WatcherFaultHooks(specification: "add-watch-enospc").failAddWatchAfter == 0)
        #expect(try WatcherFaultHooks(specification: "").isEmpty)
        #expect(!hooks.isEmpty)
        #expect(throws: WatchError.invalidFaultSpecification("explode")) {
            try WatcherFaultHooks(specification: "init-emfile,explode")
        }
        #expect(throws: WatchError.invalidFaultSpecification("add-watch-enospc:x")) {
            try WatcherFaultHooks(specification: "add-watch-enospc:x")
        }
    }

    @Test func networkFilesystemsArePolled() {
        for magic: UInt32 in [0x6969, 0x517B, 0xFE53_4D42, 0xFF53_4D42, 0x6573_5546, 0x0102_1997] {
            #expect(FilesystemKind.isNetwork(magic: magic))
        }
        // ext4, tmpfs, xfs, btrfs
        for magic: UInt32 in [0xEF53, 0x0102_1994, 0x5846_5342, 0x9123_683E] {
            #expect(!FilesystemKind.isNetwork(magic: magic))
        }
        #expect(FilesystemKind.magic(of: "/proc") == 0x9FA0)  // statfs really is called
        #expect(!FilesystemKind.needsPolling("/tmp"))
    }

    @Test func errorsNameWhatToFix() {
        #expect(WatchError.watchLimit(path: "/in/s", limit: 8192).description.contains("(now 8192)"))
        #expect(WatchError.instanceLimit(limit: nil).description.contains("ulimit -n"))
        #expect(
            WatchError.duplicateStream(stream: "n", paths: ["/a/n", "/b/n"]).description.contains("'/a/n' and '/b/n'"))
        #expect(WatchError.systemCall(name: "opendir", path: "/x", errno: 13).description.contains("Permission denied"))
    }
}
