import Foundation
import STMDaemon
import STMLogs
import STMTesting
import Testing

struct ConfigurationTests {
    /// `etc/stmd/stmd.toml` of this repository.
    static let shippedFile = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("etc/stmd/stmd.toml").path

    private func write(_ text: String, to path: String) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    /// The problem `text` is refused with (the error itself, `.several` left as it is).
    private func refusal(_ text: String) -> ConfigurationError? {
        do {
            _ = try DaemonConfiguration.parse(text, file: "stmd.toml")
            return nil
        } catch {
            return error
        }
    }

    /// The message `text` is refused with.
    private func message(_ text: String) -> String? {
        refusal(text)?.description
    }

    // MARK: Defaults and lookup

    @Test func noFileGivesTheBuiltInDefaults() throws {
        let empty = try TemporaryDirectory()
        let (configuration, source) = try DaemonConfiguration.load(
            explicitPath: nil, environment: [:], systemPaths: [empty.path + "/stmd.toml"])
        #expect(source == DaemonConfiguration.builtInSource)
        #expect(configuration == DaemonConfiguration())
        #expect(configuration.stateDirectory == nil)
        #expect(configuration.workers == DaemonConfiguration.onlineProcessorCount)
        #expect(configuration.settleDelay == .milliseconds(300))
        #expect(configuration.maximumWait == .seconds(30))
        #expect(configuration.maximumFileSize == 10 * 1024 * 1024)
        #expect(configuration.queueCapacity == 1000)
        #expect(configuration.reconcileInterval == .seconds(300))
        #expect(configuration.poll == false)
        #expect(configuration.pollInterval == .seconds(1))
        #expect(configuration.ignore.isEmpty)
        #expect(configuration.output == .alongside)
        #expect(configuration.failed == .errorFile)
        #expect(
            configuration.retry == .init(maxAttempts: 5, initialBackoff: .seconds(1), maximumBackoff: .seconds(300)))
        #expect(configuration.retention == .init(days: 30, maxRowsPerStream: 10_000))
        #expect(configuration.tasks == ["topic": "topic-news", "sentiment": "sentiment-en"])
        #expect(configuration.streams.isEmpty)
        // An empty file is the same as none.
        #expect(try DaemonConfiguration.parse("") == DaemonConfiguration())
    }

    @Test func theShippedFileIsExactlyTheDefaults() throws {
        #expect(try DaemonConfiguration.read(path: Self.shippedFile) == DaemonConfiguration())
    }

    /// Every key the daemon reads appears in the shipped file, set or as a commented example, so it documents
    /// them all.
    @Test func theShippedFileMentionsEveryKey() throws {
        let text = try String(contentsOfFile: Self.shippedFile, encoding: .utf8)
        let keys = [
            "state_directory", "workers", "settle_delay", "maximum_wait", "max_file_size", "queue_capacity",
            "reconcile_interval", "poll", "poll_interval", "ignore", "output", "output_root", "failed",
            "failed_directory", "max_attempts", "initial_backoff", "maximum_backoff", "days", "max_rows_per_stream",
            "tasks", "enabled",
        ]
        for key in keys {
            #expect(text.contains("\n\(key) = ") || text.contains("\n# \(key) = "), "\(key) is not in stmd.toml")
        }
        for table in ["[retry]", "[retention]", "[defaults]", "# [streams."] {
            #expect(text.contains("\n\(table)"), "\(table) is not in stmd.toml")
        }
    }

    /// The commented `[streams.*]` examples of the shipped file parse once uncommented.
    @Test func theShippedStreamExamplesAreValid() throws {
        let text = try String(contentsOfFile: Self.shippedFile, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(where: { $0.hasPrefix("# [streams.") }) else {
            Issue.record("no [streams.…] example in stmd.toml")
            return
        }
        let block = lines[start...].prefix { !$0.isEmpty }
        let example = block.map { $0.hasPrefix("# ") ? $0.dropFirst(2) : $0.drop { $0 == "#" } }
            .joined(separator: "\n")
        let configuration = try DaemonConfiguration.parse(example)
        #expect(configuration.settings(forStream: "reviews").tasks == ["sentiment": "sentiment-en"])
        #expect(configuration.settings(forStream: "reviews").maximumFileSize == 1 << 20)
        #expect(configuration.settings(forStream: "scratch").enabled == false)
    }

    /// The commented `[logs]` and `[[journal]]` example parses once uncommented.
    @Test func theShippedJournalExampleIsValid() throws {
        let text = try String(contentsOfFile: Self.shippedFile, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let start = try #require(lines.firstIndex(of: "# [logs]"), "no [logs] example in stmd.toml")
        let example = lines[start...].prefix { !$0.isEmpty }.map { $0.hasPrefix("# ") ? $0.dropFirst(2) : $0.drop { $0 == "#" } }
            .joined(separator: "\n")
        let configuration = try DaemonConfiguration.parse(example)
        #expect(configuration.logs.detector.window == 10 && configuration.logs.detector.candidates == 9)
        #expect(configuration.logs.detector.learningLines == 2000 && configuration.logs.alertsPerMinute == 20)
        let source = try #require(configuration.journal.first)
        #expect(configuration.journal.count == 1)
        #expect(source.name == "web" && source.matches == ["_SYSTEMD_UNIT=nginx.service"])
        #expect(source.maximumPriority == 6 && source.streamField == "_SYSTEMD_UNIT" && source.start == .tail)
        #expect(source.location == .local)
    }

    @Test func badJournalSourcesAreRefusedWithTheirKeys() {
        let bad = """
            [[journal]]
            matches = ["lowercase=x", 3]
            priority = "loud"
            start = "middle"
            directory = "/var/log/journal"
            files = ["/a.journal"]
            colour = "blue"

            [[journal]]
            name = "twice"

            [[journal]]
            name = "twice"
            """
        let text = message(bad) ?? ""
        for expected in [
            "journal[0].name", "journal[0].matches[0]", "journal[0].matches[1]", "journal[0].priority",
            "journal[0].start", "journal[0].files", "journal[0].colour", "journal[2].name",
        ] {
            #expect(text.contains(expected), "\(expected) missing from: \(text)")
        }
    }

    @Test func lookupOrderIsExplicitThenConfigurationDirectoryThenSystemPaths() throws {
        let root = try TemporaryDirectory()
        let explicit = root.path + "/explicit.toml"
        let fromSystemd = root.path + "/systemd/stmd.toml"
        let system = root.path + "/etc/stmd/stmd.toml"
        try write("queue_capacity = 1\n", to: explicit)
        try write("queue_capacity = 2\n", to: fromSystemd)
        try write("queue_capacity = 3\n", to: system)
        let environment = ["CONFIGURATION_DIRECTORY": root.path + "/systemd"]

        let (first, firstSource) = try DaemonConfiguration.load(
            explicitPath: explicit, environment: environment, systemPaths: [system])
        #expect((first.queueCapacity, firstSource) == (1, explicit))

        let (second, secondSource) = try DaemonConfiguration.load(
            explicitPath: nil, environment: environment, systemPaths: [system])
        #expect((second.queueCapacity, secondSource) == (2, fromSystemd))

        let (third, thirdSource) = try DaemonConfiguration.load(
            explicitPath: nil, environment: [:], systemPaths: [system])
        #expect((third.queueCapacity, thirdSource) == (3, system))

        // systemd passes several folders separated by ':'; the first holding stmd.toml wins.
        let several = ["CONFIGURATION_DIRECTORY": root.path + "/missing:" + root.path + "/systemd"]
        #expect(
            try DaemonConfiguration.locate(explicitPath: nil, environment: several, systemPaths: [system])
                == fromSystemd)

        // The existence check is injectable: with nothing "existing", the defaults.
        let (fourth, fourthSource) = try DaemonConfiguration.load(
            explicitPath: nil, environment: environment, systemPaths: [system], fileExists: { _ in false })
        #expect(fourth == DaemonConfiguration())
        #expect(fourthSource == "built-in defaults")
    }

    @Test func anExplicitFileMustExist() throws {
        let root = try TemporaryDirectory()
        let system = root.path + "/stmd.toml"
        try write("queue_capacity = 3\n", to: system)
        let missing = root.path + "/typo.toml"
        #expect(throws: ConfigurationError.fileNotFound(path: missing)) {
            try DaemonConfiguration.load(explicitPath: missing, environment: [:], systemPaths: [system])
        }
        #expect(
            ConfigurationError.fileNotFound(path: missing).description == "\(missing): configuration file not found")
    }

    @Test func unreadableFilesAreErrorsNotDefaults() throws {
        let root = try TemporaryDirectory()
        #expect(throws: ConfigurationError.unreadable(path: root.path, reason: "it is a directory")) {
            try DaemonConfiguration.load(explicitPath: root.path, environment: [:])
        }
        let latin1 = root.path + "/latin1.toml"
        try Data([0x23, 0x20, 0xE9, 0x0A]).write(to: URL(fileURLWithPath: latin1))
        #expect(throws: ConfigurationError.unreadable(path: latin1, reason: "not UTF-8 text")) {
            try DaemonConfiguration.load(explicitPath: latin1, environment: [:])
        }
        // A dangling symlink in the system path is reported, not skipped.
        let dangling = root.path + "/dangling.toml"
        try FileManager.default.createSymbolicLink(atPath: dangling, withDestinationPath: root.path + "/nowhere")
        #expect(throws: ConfigurationError.unreadable(path: dangling, reason: "No such file or directory")) {
            try DaemonConfiguration.load(explicitPath: nil, environment: [:], systemPaths: [dangling])
        }
    }

    // MARK: Values

    @Test func everyKeyIsRead() throws {
        let configuration = try DaemonConfiguration.parse(
            """
            state_directory = "/var/lib/stmd-test"
            workers = 3
            settle_delay = "250ms"
            maximum_wait = "1h30m"
            max_file_size = 4096
            queue_capacity = 7
            reconcile_interval = "1.5s"
            poll = true
            poll_interval = "500ms"
            ignore = ["*.bak"]
            output = "root"
            output_root = "/srv/out"
            failed = "move"
            failed_directory = "/srv/failed"

            [retry]
            max_attempts = 2
            initial_backoff = "2s"
            maximum_backoff = "1m"

            [retention]
            days = 7
            max_rows_per_stream = 50

            [defaults.tasks]
            topic = "topic-bbc"
            """)
        #expect(configuration.stateDirectory == "/var/lib/stmd-test")
        #expect(configuration.workers == 3)
        #expect(configuration.settleDelay == .milliseconds(250))
        #expect(configuration.maximumWait == .seconds(5400))
        #expect(configuration.maximumFileSize == 4096)
        #expect(configuration.queueCapacity == 7)
        #expect(configuration.reconcileInterval == .milliseconds(1500))
        #expect(configuration.poll)
        #expect(configuration.pollInterval == .milliseconds(500))
        #expect(configuration.ignore == ["*.bak"])
        #expect(configuration.output == .root(path: "/srv/out"))
        #expect(configuration.failed == .move(directory: "/srv/failed"))
        #expect(configuration.retry == .init(maxAttempts: 2, initialBackoff: .seconds(2), maximumBackoff: .seconds(60)))
        #expect(configuration.retention == .init(days: 7, maxRowsPerStream: 50))
        #expect(configuration.tasks == ["topic": "topic-bbc"])
    }

    @Test(arguments: [
        ("300ms", Duration.milliseconds(300)), ("30s", .seconds(30)), ("5m", .seconds(300)), ("1h30m", .seconds(5400)),
        ("1.5s", .milliseconds(1500)), ("0.25ms", .microseconds(250)), ("7d", .seconds(7 * 86_400)), ("0s", .zero),
        ("1m30s500ms", .milliseconds(90_500)),
    ])
    func durationsParseAndFormatBack(text: String, expected: Duration) throws {
        let configuration = try DaemonConfiguration.parse("settle_delay = \"\(text)\"\nmaximum_wait = \"8d\"")
        #expect(configuration.settleDelay == expected)
        let formatted = DaemonConfiguration.format(expected)
        let again = try DaemonConfiguration.parse("settle_delay = \"\(formatted)\"\nmaximum_wait = \"8d\"")
        #expect(again.settleDelay == expected, "\(formatted)")
    }

    @Test func formatsAreCanonical() {
        #expect(DaemonConfiguration.format(.seconds(5400)) == "1h30m")
        #expect(DaemonConfiguration.format(.milliseconds(90_500)) == "1m30s500ms")
        #expect(DaemonConfiguration.format(.microseconds(250)) == "0.25ms")
        #expect(DaemonConfiguration.format(.zero) == "0s")
        #expect(DaemonConfiguration.format(bytes: 10 << 20) == "10MiB")
        #expect(DaemonConfiguration.format(bytes: 1536) == "1536B")
    }

    @Test(arguments: [
        ("10MiB", 10 << 20), ("512KiB", 512 << 10), ("1.5KiB", 1536), ("1GiB", 1 << 30), ("100B", 100),
        ("10MB", 10_000_000), ("2 kB", 2000), ("12345", 12345),
    ])
    func sizesParse(text: String, bytes: Int) throws {
        #expect(try DaemonConfiguration.parse("max_file_size = \"\(text)\"").maximumFileSize == bytes)
    }

    @Test func workersAcceptAuto() throws {
        #expect(try DaemonConfiguration.parse("workers = \"auto\"").workers == DaemonConfiguration.onlineProcessorCount)
    }

    @Test func retryBackoffDoublesUpToTheMaximum() {
        let policy = DaemonConfiguration.RetryPolicy(
            maxAttempts: 9, initialBackoff: .seconds(1), maximumBackoff: .seconds(5))
        #expect(
            (1...5).map { policy.backoff(afterAttempt: $0) } == [
                .seconds(1), .seconds(2), .seconds(4), .seconds(5), .seconds(5),
            ])
    }

    // MARK: Streams

    @Test func streamOverridesAreResolvedOverTheGlobals() throws {
        let configuration = try DaemonConfiguration.parse(
            """
            settle_delay = "2s"
            ignore = ["*.bak"]
            max_file_size = "1MiB"

            [defaults]
            tasks = { topic = "topic-news", sentiment = "sentiment-en" }

            [streams.reviews]
            tasks = { sentiment = "sentiment-en" }
            settle_delay = "5s"
            maximum_wait = "10m"
            max_file_size = 2048
            ignore = ["*.draft"]

            [streams.scratch]
            enabled = false

            [streams."my.folder"]
            max_file_size = "1KiB"
            """)
        let reviews = configuration.settings(forStream: "reviews")
        #expect(
            reviews
                == StreamSettings(
                    name: "reviews", enabled: true, tasks: ["sentiment": "sentiment-en"], settleDelay: .seconds(5),
                    maximumWait: .seconds(600), maximumFileSize: 2048, queueCapacity: 1000,
                    ignorePatterns: DaemonConfiguration.builtInIgnorePatterns + ["*.bak", "*.draft"]))
        let scratch = configuration.settings(forStream: "scratch")
        #expect(!scratch.enabled)
        #expect(scratch.tasks == DaemonConfiguration.builtInTasks)
        #expect(configuration.settings(forStream: "my.folder").maximumFileSize == 1024)
        // A stream the file does not mention runs with the globals.
        let other = configuration.settings(forStream: "news")
        #expect(other.enabled && other.settleDelay == .seconds(2) && other.maximumFileSize == 1 << 20)
        #expect(other.tasks == DaemonConfiguration.builtInTasks)
        #expect(other.ignorePatterns == DaemonConfiguration.builtInIgnorePatterns + ["*.bak"])
    }

    @Test func ignorePatternsMatchFileNames() throws {
        let configuration = try DaemonConfiguration.parse("ignore = [\"*.bak\"]\n[streams.a]\nignore = [\"draft-*\"]")
        let a = configuration.settings(forStream: "a")
        for name in [
            ".report.txt.XXXXXX", "notes.txt~", ".notes.txt.swp", "x.tmp", "big.iso.part", "f.crdownload",
            "old.bak", "draft-1.txt",
        ] {
            #expect(a.ignores(name: name), "\(name) should be ignored")
        }
        for name in ["report.txt", "tmp.txt", "bak", "my draft-1.txt"] {
            #expect(!a.ignores(name: name), "\(name) should be taken")
        }
        #expect(!configuration.settings(forStream: "b").ignores(name: "draft-1.txt"))
        // Names are bytes: one that is not UTF-8 still matches by its suffix.
        #expect(a.ignores(name: [0xFF, 0xFE, 0x2E, 0x74, 0x6D, 0x70]))
        #expect(!a.ignores(name: [0xFF, 0xFE, 0x2E, 0x74, 0x78, 0x74]))
    }

    // MARK: Errors

    @Test func unknownKeysNameTheFullKeyAndSuggestTheClosest() throws {
        let error = refusal("[streams.news]\nsetle_delay = \"2s\"\n")
        #expect(
            error
                == .unknownKey(
                    file: "stmd.toml", key: "streams.news.setle_delay", suggestion: "streams.news.settle_delay"))
        #expect(
            error?.description
                == "stmd.toml: unknown key 'streams.news.setle_delay' (did you mean 'streams.news.settle_delay'?)")

        #expect(refusal("colour = \"red\"") == .unknownKey(file: "stmd.toml", key: "colour", suggestion: nil))
        #expect(message("colour = \"red\"") == "stmd.toml: unknown key 'colour'")
        #expect(
            refusal("Max-File-Size = 5")
                == .unknownKey(file: "stmd.toml", key: "Max-File-Size", suggestion: "max_file_size"))
        #expect(
            refusal("[retry]\nmax_attemps = 3")
                == .unknownKey(file: "stmd.toml", key: "retry.max_attemps", suggestion: "retry.max_attempts"))
        // A global key written after a table header lands in that table: point back to the top level.
        #expect(
            refusal("[retry]\npoll = true") == .unknownKey(file: "stmd.toml", key: "retry.poll", suggestion: "poll"))
        // Keys that exist, but elsewhere.
        #expect(
            refusal("tasks = { topic = \"topic-news\" }")
                == .unknownKey(file: "stmd.toml", key: "tasks", suggestion: "defaults.tasks"))
        #expect(
            refusal("enabled = false")
                == .unknownKey(file: "stmd.toml", key: "enabled", suggestion: "streams.<name>.enabled"))
        #expect(
            refusal("[defaults]\ntasks = { topic = \"topic-news\" }\nsettle_delay = \"1s\"")
                == .unknownKey(file: "stmd.toml", key: "defaults.settle_delay", suggestion: "settle_delay"))
        // Tables not built yet are unknown too, until their issue teaches the parser.
        #expect(
            refusal("[memory]\nwindw = 10")
                == .unknownKey(file: "stmd.toml", key: "memory.windw", suggestion: "memory.window"))
        #expect(
            refusal("[[alerts]]\nmatch = \"x\"") == .unknownKey(file: "stmd.toml", key: "alerts", suggestion: nil))
        // Keys that need quotes are shown with them.
        #expect(
            refusal("[streams.\"my.folder\"]\nflavour = \"lines\"")
                == .unknownKey(file: "stmd.toml", key: "streams.\"my.folder\".flavour", suggestion: nil))
        // A stream's kind is documents or lines.
        #expect(message("[streams.logs]\nkind = \"tables\"")?.contains("streams.logs.kind") == true)
        #expect(try DaemonConfiguration.parse("[streams.logs]\nkind = \"lines\"").settings(forStream: "logs").kind == .lines)
    }

    @Test func wrongTypesNameTheKeyTheExpectationAndTheValue() {
        let error = refusal("settle_delay = 30")
        #expect(
            error
                == .wrongType(
                    file: "stmd.toml", key: "settle_delay",
                    expected: "a duration string such as \"30s\", \"300ms\" or \"5m\"",
                    found: "integer 30"))
        #expect(
            error?.description
                == "stmd.toml: 'settle_delay' must be a duration string such as \"30s\", \"300ms\" or \"5m\", not integer 30"
        )
        #expect(
            message("workers = 2.5")
                == "stmd.toml: 'workers' must be a positive integer or \"auto\", not float 2.5")
        #expect(message("poll = \"yes\"") == "stmd.toml: 'poll' must be true or false, not string \"yes\"")
        #expect(
            message("ignore = \"*.bak\"")
                == "stmd.toml: 'ignore' must be an array of glob patterns such as [\"*.bak\"], not string \"*.bak\"")
        #expect(
            message("ignore = [\"*.bak\", 3]")
                == "stmd.toml: 'ignore[1]' must be a glob pattern (a string), not integer 3")
        #expect(
            message("retry = 3") == "stmd.toml: 'retry' must be a table ([retry] or { … }), not integer 3")
        #expect(
            message("[defaults.tasks]\ntopic = 1")
                == "stmd.toml: 'defaults.tasks.topic' must be a model name (a string) or { model = \"…\", … }, not integer 1")
        #expect(
            message("[streams]\nsettle_delay = \"1s\"")
                == "stmd.toml: 'streams.settle_delay' must be a table of stream settings: 'settle_delay' belongs inside [streams.<name>], not string \"1s\""
        )
    }

    @Test func badDurationsSayWhy() {
        #expect(
            refusal("settle_delay = \"-5s\"")
                == .invalidValue(
                    file: "stmd.toml", key: "settle_delay", value: "\"-5s\"", reason: "a duration cannot be negative"))
        #expect(
            message("settle_delay = \"-5s\"")
                == "stmd.toml: settle_delay = \"-5s\": a duration cannot be negative")
        #expect(
            message("poll_interval = \"5 minutes\"")
                == "stmd.toml: poll_interval = \"5 minutes\": not a duration; write a number with a unit, e.g. \"300ms\", \"30s\", \"5m\" or \"1h30m\""
        )
        #expect(
            message("poll_interval = \"5x\"")
                == "stmd.toml: poll_interval = \"5x\": unknown unit 'x'; use ms, s, m, h or d")
        #expect(
            message("poll_interval = \"30s1m\"")
                == "stmd.toml: poll_interval = \"30s1m\": units must go from largest to smallest, each once, e.g. \"1h30m\""
        )
        #expect(
            message("poll_interval = \"0s\"")
                == "stmd.toml: poll_interval = \"0s\": must be longer than zero")
        #expect(
            message("poll_interval = \"\"")
                == "stmd.toml: poll_interval = \"\": a duration cannot be empty; write e.g. \"30s\"")
        #expect(
            message("poll_interval = \"999999999999d\"")
                == "stmd.toml: poll_interval = \"999999999999d\": too large a duration")
        #expect(
            message("settle_delay = \"2m\"\nmaximum_wait = \"1m\"")
                == "stmd.toml: settle_delay = \"2m\": longer than maximum_wait (1m)")
        #expect(
            message("[streams.fast]\nmaximum_wait = \"100ms\"")
                == "stmd.toml: streams.fast.maximum_wait = \"100ms\": shorter than settle_delay (300ms)")
        // A stream that inherits both is not blamed for the top level's mistake.
        #expect(
            refusal("settle_delay = \"2m\"\n[streams.quiet]\nenabled = false")?.problems.map(\.description)
                == ["stmd.toml: settle_delay = \"2m\": longer than maximum_wait (30s)"])
        #expect(
            message("[streams.slow]\nsettle_delay = \"2m\"")
                == "stmd.toml: streams.slow.settle_delay = \"2m\": longer than maximum_wait (30s)")
        #expect(
            message("[retry]\ninitial_backoff = \"10m\"")
                == "stmd.toml: retry.initial_backoff = \"10m\": initial_backoff (10m) is longer than maximum_backoff (5m)"
        )
    }

    @Test func badSizesSayWhy() {
        #expect(
            refusal("max_file_size = \"10 apples\"")
                == .invalidValue(
                    file: "stmd.toml", key: "max_file_size", value: "\"10 apples\"",
                    reason:
                        "unknown unit 'apples'; use B, KiB, MiB, GiB, TiB (powers of 1024) or kB, MB, GB, TB (powers of 1000)"
                ))
        #expect(message("max_file_size = \"10M\"")?.contains("unknown unit 'M'") == true)
        #expect(
            message("max_file_size = -1") == "stmd.toml: max_file_size = -1: a size cannot be negative")
        #expect(
            message("max_file_size = 0") == "stmd.toml: max_file_size = 0: must be more than zero bytes")
        #expect(message("max_file_size = \"MiB\"")?.contains("not a size") == true)
        #expect(message("max_file_size = \"1.2.3MiB\"")?.contains("not a size") == true)
        #expect(
            message("max_file_size = true")
                == "stmd.toml: 'max_file_size' must be a size such as \"10MiB\", or an integer of bytes, not boolean true"
        )
    }

    @Test func badModesPathsAndNumbersSayWhy() {
        #expect(
            message("output = \"beside\"")
                == "stmd.toml: output = \"beside\": use \"alongside\" or \"root\"")
        #expect(
            refusal("output = \"root\"")
                == .missingKey(file: "stmd.toml", key: "output_root", requiredBy: "output = \"root\""))
        #expect(
            message("output = \"root\"")
                == "stmd.toml: 'output_root' is missing; output = \"root\" needs it")
        #expect(
            message("output = \"root\"\noutput_root = \"out\"")
                == "stmd.toml: output_root = \"out\": must be an absolute path")
        #expect(
            message("output_root = \"/srv/out\"")
                == "stmd.toml: output_root = \"/srv/out\": only used with output = \"root\"")
        #expect(
            message("failed = \"delete\"")
                == "stmd.toml: failed = \"delete\": use \"error-file\" or \"move\"")
        #expect(
            refusal("failed = \"move\"")
                == .missingKey(file: "stmd.toml", key: "failed_directory", requiredBy: "failed = \"move\""))
        #expect(
            message("workers = \"many\"")
                == "stmd.toml: workers = \"many\": use a positive integer, or \"auto\" for the number of online CPUs")
        #expect(message("workers = 0") == "stmd.toml: workers = 0: at least one worker is needed")
        #expect(message("queue_capacity = 0") == "stmd.toml: queue_capacity = 0: must be at least 1")
        #expect(message("[retention]\ndays = -1") == "stmd.toml: retention.days = -1: must be at least 1")
        #expect(
            message("ignore = [\"logs/*.txt\"]")
                == "stmd.toml: ignore[0] = \"logs/*.txt\": patterns match file names, which never contain '/'")
    }

    @Test func badNamesAreRefused() {
        #expect(
            refusal("[streams.\"a/b\"]\nenabled = false")
                == .invalidName(
                    file: "stmd.toml", key: "streams.\"a/b\"",
                    reason: "a stream name is a folder name and cannot contain '/'"))
        #expect(
            message("[streams.\"..\"]\nenabled = false")
                == "stmd.toml: 'streams.\"..\"': a stream name is a folder name, not '..'")
        #expect(
            message("[defaults.tasks]\nTopic = \"topic-news\"")
                == "stmd.toml: 'defaults.tasks.Topic': a task name is lower-case letters, digits and '_', starting with a letter"
        )
        #expect(
            message("[streams.a]\ntasks = {}")
                == "stmd.toml: streams.a.tasks = {}: no tasks; give at least one (to leave a stream alone, set enabled = false)"
        )
        #expect(
            message("[defaults.tasks]\ntopic = \"\"")
                == "stmd.toml: defaults.tasks.topic = \"\": the model name is empty")
    }

    @Test func syntaxErrorsCarryTOMLKitsLineAndColumn() throws {
        let error = try #require(refusal("workers = 2\npoll = true\nsettle_delay = \"1s\n"))
        guard case .syntax(let file, let line, let column, let message) = error else {
            Issue.record("expected a syntax error, got \(error)")
            return
        }
        #expect(file == "stmd.toml")
        #expect(line == 3)
        #expect(column > 0)
        #expect(!message.isEmpty)
        #expect(error.description.hasPrefix("stmd.toml:3:\(column): TOML syntax error: "))

        // A key defined twice is TOML's error, with the position of the second one.
        let duplicate = try #require(refusal("poll = true\n\npoll = false\n"))
        guard case .syntax(_, let duplicateLine, _, _) = duplicate else {
            Issue.record("expected a syntax error, got \(duplicate)")
            return
        }
        #expect(duplicateLine == 3)
    }

    @Test func everyProblemIsReportedAtOnce() {
        let error = refusal(
            """
            workers = 0
            setle_delay = "1s"

            [streams.news]
            max_file_size = "big"
            """)
        #expect(
            error?.problems == [
                .invalidValue(file: "stmd.toml", key: "workers", value: "0", reason: "at least one worker is needed"),
                .invalidValue(
                    file: "stmd.toml", key: "streams.news.max_file_size", value: "\"big\"",
                    reason: "not a size; write bytes as an integer, or a number with a unit, e.g. \"10MiB\""),
                .unknownKey(file: "stmd.toml", key: "setle_delay", suggestion: "settle_delay"),
            ])
        #expect(error?.description.split(separator: "\n").count == 3)
    }

    // MARK: Inbox roots

    @Test func writtenFoldersMustBeOutsideEveryInboxRoot() throws {
        let root = try TemporaryDirectory()
        let inbox = root.path + "/inbox"
        try FileManager.default.createDirectory(atPath: inbox, withIntermediateDirectories: true)
        let configuration = try DaemonConfiguration.parse(
            "failed = \"move\"\nfailed_directory = \"\(inbox)/failed\"\noutput = \"root\"\noutput_root = \"\(root.path)/out\""
        )
        #expect(
            throws: ConfigurationError.insideInbox(key: "failed_directory", path: inbox + "/failed", inboxRoot: inbox)
        ) {
            try configuration.validate(inboxRoots: [root.path + "/other", inbox])
        }
        #expect(
            ConfigurationError.insideInbox(key: "failed_directory", path: "/srv/inbox/failed", inboxRoot: "/srv/inbox")
                .description
                == "failed_directory '/srv/inbox/failed' is inside the inbox root '/srv/inbox'; it must be outside every inbox root"
        )
        try configuration.validate(inboxRoots: [root.path + "/other"])
        // A sibling whose name merely starts with the root's is outside it.
        try configuration.validate(inboxRoots: [root.path + "/ou"])

        // The same folder reached through a symlink, a relative path or `..` is still inside.
        let link = root.path + "/link"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: inbox)
        let throughLink = try DaemonConfiguration.parse("output = \"root\"\noutput_root = \"\(link)/../link/out\"")
        #expect(
            throws: ConfigurationError.insideInbox(key: "output_root", path: link + "/../link/out", inboxRoot: inbox)
        ) {
            try throughLink.validate(inboxRoots: [inbox])
        }
        let stateInRoot = try DaemonConfiguration.parse("state_directory = \"\(inbox)\"")
        #expect(throws: ConfigurationError.insideInbox(key: "state_directory", path: inbox, inboxRoot: inbox)) {
            try stateInRoot.validate(inboxRoots: [inbox])
        }
    }
}
