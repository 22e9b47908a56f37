import Foundation
import STMDaemon
import STMMemory

/// What `stmd memory show` prints about one stream: its state, its window and the window's statistics.
struct MemorySummary {
    let stream: String
    let stored: StoredStreamMemory
    /// The daemon's `[memory]` settings: the drift levels are shown against its threshold.
    let settings: MemorySettings
    /// Sentences in the rolling digest.
    var digestSentences = 5

    /// The stream's rolling digest; empty when no summary task has run on the window's documents.
    private var digest: StreamDigest { StreamDigest(entries: stored.entries, sentences: digestSentences) }

    /// The detectors with the configured drift threshold (the levels shown are relative to it).
    private var detectors: (sentiment: ChangeDetector, topic: ChangeDetector)? {
        guard stored.detectorValues != nil else { return nil }
        let memory = stored.memory(settings: settings)
        return (memory.sentimentDetector, memory.topicDetector)
    }

    private var window: RollingWindow {
        RollingWindow(capacity: max(stored.entries.count, 1), maximumAge: .infinity, entries: stored.entries)
    }

    var object: [String: Any] {
        var object: [String: Any] = [
            "stream": stream, "epoch": stored.epoch, "documents": stored.state.documentCount,
            "state": ["size": stored.state.vector.count, "norm": stored.state.norm],
            "window": stored.entries.map { entry -> [String: Any] in
                var item: [String: Any] = [
                    "id": entry.id, "sequence": entry.sequence, "name": entry.name, "event_time": entry.time,
                    "labels": entry.labels,
                ]
                if let sentiment = entry.sentiment { item["sentiment"] = sentiment }
                return item
            },
            "label_distribution": window.labelDistribution(),
            "updated_time": stored.updatedAt,
        ]
        object["digest"] = digest.items.map { item -> [String: Any] in
            ["sequence": item.sequence, "name": item.name, "text": item.text, "score": item.score]
        }
        if let latest = stored.state.latestTime { object["latest_event_time"] = latest }
        if let mean = window.sentimentMean() { object["sentiment_mean"] = mean }
        if let detectors {
            object["drift"] = [
                "sentiment_level": detectors.sentiment.level, "topic_level": detectors.topic.level,
                "sentiment_observed": detectors.sentiment.count, "topic_observed": detectors.topic.count,
            ]
        }
        return object
    }

    var text: String {
        var lines = ["stream \(stream): \(stored.state.documentCount) documents counted, \(stored.entries.count) in the window"]
        if let latest = stored.state.latestTime {
            lines.append("latest event: \(Date(timeIntervalSince1970: latest))")
        }
        lines.append("state: size \(stored.state.vector.count), norm \(String(format: "%.4f", stored.state.norm))")
        if let mean = window.sentimentMean() { lines.append("sentiment mean: \(String(format: "%+.3f", mean))") }
        for (task, labels) in window.labelDistribution().sorted(by: { $0.key < $1.key }) {
            let shares = labels.sorted { $0.value > $1.value }.map { "\($0.key) \(String(format: "%.0f%%", $0.value * 100))" }
            lines.append("\(task): \(shares.joined(separator: ", "))")
        }
        if let detectors {
            lines.append(
                "drift level: sentiment \(String(format: "%.2f", detectors.sentiment.level)), topic \(String(format: "%.2f", detectors.topic.level)) (alert at 1)")
        }
        let digest = self.digest
        if !digest.items.isEmpty {
            lines.append("digest (the window's best summary sentences, oldest first):")
            for item in digest.items { lines.append("  #\(item.sequence) \(item.name): \(item.text)") }
        }
        lines.append("window (newest last):")
        for entry in stored.entries {
            let labels = entry.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            let sentiment = entry.sentiment.map { String(format: " sentiment %+.2f", $0) } ?? ""
            lines.append("  #\(entry.sequence) \(entry.id) \(entry.name)  \(labels)\(sentiment)")
        }
        return lines.joined(separator: "\n")
    }
}
