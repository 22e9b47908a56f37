import STMDaemon
import STMMemory
import Testing

/// `[memory]` in stmd.toml: every key read, bad values refused with the full key named.
struct MemoryConfigurationTests {
    private func refusal(_ text: String) -> String? {
        do {
            _ = try DaemonConfiguration.parse(text, file: "stmd.toml")
            return nil
        } catch {
            return String(describing: error)
        }
    }

    @Test func everyKeyIsRead() throws {
        let configuration = try DaemonConfiguration.parse(
            """
            [memory]
            enabled = false
            decay_time = "30m"
            window = 8
            max_age = "2d"
            related = 2
            near_duplicate = 0.9
            drift_threshold = 6
            topic_task = "kind"
            sentiment_task = "mood"
            max_streams = 10
            """, file: "stmd.toml")
        let memory = configuration.memory
        #expect(!memory.enabled)
        #expect(memory.settings.decayTime == 1800)
        #expect(memory.settings.windowCapacity == 8)
        #expect(memory.settings.maximumAge == 2 * 86_400)
        #expect(memory.settings.relatedCount == 2)
        #expect(memory.settings.nearDuplicateSimilarity == 0.9)
        #expect(memory.settings.driftThreshold == 6)
        #expect(memory.settings.topicTask == "kind" && memory.settings.sentimentTask == "mood")
        #expect(memory.maximumStreams == 10)
    }

    @Test func defaultsWithoutATable() throws {
        let memory = try DaemonConfiguration.parse("", file: "stmd.toml").memory
        #expect(memory == DaemonConfiguration.MemoryConfiguration())
        #expect(memory.enabled && memory.settings == MemorySettings() && memory.maximumStreams == 256)
    }

    @Test(arguments: [
        ("window = 0", "memory.window"),
        ("window = 20000", "memory.window"),
        ("decay_time = \"0s\"", "memory.decay_time"),
        ("decay_time = 5", "memory.decay_time"),
        ("max_age = \"soon\"", "memory.max_age"),
        ("related = 40", "memory.related"),
        ("near_duplicate = 1.5", "memory.near_duplicate"),
        ("near_duplicate = \"high\"", "memory.near_duplicate"),
        ("drift_threshold = 0", "memory.drift_threshold"),
        ("topic_task = \"Topic!\"", "memory.topic_task"),
        ("max_streams = 0", "memory.max_streams"),
        ("enabled = \"yes\"", "memory.enabled"),
    ])
    func badValuesAreRefusedNamingTheKey(line: String, key: String) throws {
        let message = try #require(refusal("[memory]\n" + line), "accepted: \(line)")
        #expect(message.contains(key), "\(message)")
        #expect(message.contains("stmd.toml"), "\(message)")
    }
}
