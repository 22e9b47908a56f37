import STMMemory
import TOMLKit

extension ConfigurationParser {
    /// `[memory]`.
    mutating func memory(_ table: inout ConfigurationTable) -> DaemonConfiguration.MemoryConfiguration {
        var memory = DaemonConfiguration.MemoryConfiguration()
        memory.enabled = bool("enabled", in: &table) ?? memory.enabled
        if let decay = duration("decay_time", in: &table) { memory.settings.decayTime = Self.seconds(decay) }
        if let window = integer("window", in: &table, minimum: 1) {
            if window > 10_000 {
                invalid(table, "window", table.table["window"]!.tomlValue, "at most 10000 documents per stream")
            } else {
                memory.settings.windowCapacity = window
            }
        }
        if let age = duration("max_age", in: &table) { memory.settings.maximumAge = Self.seconds(age) }
        if let related = integer("related", in: &table, minimum: 0) {
            if related > memory.settings.windowCapacity {
                invalid(
                    table, "related", table.table["related"]!.tomlValue,
                    "more than the window holds (window = \(memory.settings.windowCapacity))")
            } else {
                memory.settings.relatedCount = related
            }
        }
        if let value = table.value("near_duplicate") {
            if let similarity = Self.number(value), similarity > 0, similarity <= 1 {
                memory.settings.nearDuplicateSimilarity = Float(similarity)
            } else if Self.number(value) != nil {
                invalid(table, "near_duplicate", value, "a cosine similarity above 0 and at most 1")
            } else {
                wrongType(table, "near_duplicate", expected: "a number such as 0.98", value)
            }
        }
        if let value = table.value("drift_threshold") {
            if let threshold = Self.number(value), threshold > 0 {
                memory.settings.driftThreshold = threshold
            } else if Self.number(value) != nil {
                invalid(table, "drift_threshold", value, "must be more than 0 (CUSUM's h, in standard deviations)")
            } else {
                wrongType(table, "drift_threshold", expected: "a number such as 8", value)
            }
        }
        if let task = string("topic_task", in: &table) {
            if Self.isTaskName(task) {
                memory.settings.topicTask = task
            } else {
                invalid(table, "topic_task", table.table["topic_task"]!.tomlValue, "not a task name")
            }
        }
        if let task = string("sentiment_task", in: &table) {
            if Self.isTaskName(task) {
                memory.settings.sentimentTask = task
            } else {
                invalid(table, "sentiment_task", table.table["sentiment_task"]!.tomlValue, "not a task name")
            }
        }
        memory.maximumStreams = integer("max_streams", in: &table, minimum: 1) ?? memory.maximumStreams
        memory.contextHead = string("context_head", in: &table)
        reportUnknownKeys(in: table)
        return memory
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }

    static func number(_ value: TOMLValue) -> Double? {
        if let double = value.double { return double }
        if let int = value.int { return Double(int) }
        return nil
    }
}
