import Foundation
import Testing

/// JSON read back from stdout, compared the way docs/ANNOTATION.md says: run-dependent keys dropped first.
enum JSON {
    /// Key fragments that mark run-dependent values (docs/ANNOTATION.md, "Run-dependent values"), written out here
    /// rather than taken from `Annotation` so the test checks the documented list, not the code's.
    static let runDependentFragments = ["time", "timing", "ms", "seconds", "duration", "latency", "elapsed", "path"]

    static func object(_ text: some StringProtocol, sourceLocation: SourceLocation = #_sourceLocation) throws
        -> [String: Any]
    {
        let value = try JSONSerialization.jsonObject(with: Data(String(text).utf8))
        return try #require(value as? [String: Any], "not a JSON object: \(text)", sourceLocation: sourceLocation)
    }

    /// `value` without any key containing a run-dependent fragment, at every level.
    static func withoutRunDependentKeys(_ value: Any) -> Any {
        if let object = value as? [String: Any] {
            var kept: [String: Any] = [:]
            for (key, nested) in object where !runDependentFragments.contains(where: { key.contains($0) }) {
                kept[key] = withoutRunDependentKeys(nested)
            }
            return kept
        }
        if let array = value as? [Any] { return array.map(withoutRunDependentKeys) }
        return value
    }

    /// Canonical text (sorted keys) of `value` after dropping the run-dependent keys: equal text, equal content.
    static func stableText(_ value: Any) throws -> String {
        let data = try JSONSerialization.data(withJSONObject: withoutRunDependentKeys(value), options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    static func number(_ object: [String: Any], _ key: String, sourceLocation: SourceLocation = #_sourceLocation) throws
        -> Double
    {
        let value = try #require(object[key], "no '\(key)' in \(object)", sourceLocation: sourceLocation)
        return try #require(
            (value as? NSNumber)?.doubleValue, "'\(key)' is not a number: \(value)", sourceLocation: sourceLocation)
    }

    static func string(_ object: [String: Any], _ key: String, sourceLocation: SourceLocation = #_sourceLocation) throws
        -> String
    {
        try #require(object[key] as? String, "'\(key)' is not a string in \(object)", sourceLocation: sourceLocation)
    }

    static func dictionary(_ object: [String: Any], _ key: String, sourceLocation: SourceLocation = #_sourceLocation)
        throws -> [String: Any]
    {
        try #require(
            object[key] as? [String: Any], "'\(key)' is not an object in \(object)", sourceLocation: sourceLocation)
    }
}
