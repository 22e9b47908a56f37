import Foundation
import STMTasks
import Testing

struct AnnotationTests {
    static let contents = Array("Stocks rallied on Friday.\n".utf8)

    /// The example of docs/ANNOTATION.md, minus the pretty-printing.
    static func example(totalMilliseconds: Double = 1.23456, topicMilliseconds: Double = 0.8) -> Annotation {
        var document = Annotation.DecodedDocument(contents: contents, name: Array("rally.txt".utf8))
        document.input.tokens = 5
        let topic = Annotation.Classification(
            model: "topic-news", modelVersion: "1", labels: ["World", "Sports", "Business", "Sci/Tech"],
            probabilities: [0.02, 0.01, 0.91, 0.06])
        let sentiment = Annotation.Classification(
            model: "sentiment-en", modelVersion: "1", labels: ["negative", "positive"], probabilities: [0.3, 0.7])
        return Annotation(
            stream: "news", input: document.input,
            tasks: ["topic": .classification(topic), "sentiment": .classification(sentiment)],
            timing: Annotation.Timing(
                totalMilliseconds: totalMilliseconds,
                taskMilliseconds: ["topic": topicMilliseconds, "sentiment": 0.31]))
    }

    private func json(_ annotation: Annotation) throws -> String {
        String(decoding: try annotation.encoded(), as: UTF8.self)
    }

    @Test func encodesTheFixedExampleExactly() throws {
        let expected = #"""
            {"input":{"characters":26,"encoding":"utf-8","invalid_utf8":false,"name":"rally.txt",\#
            "sha256":"4b80ac7999c9cba24c08dd722b550679749e120e6d857a6f45cef64228790c71","size":26,"tokens":5},\#
            "models":{"sentiment-en":"1","topic-news":"1"},"schema":"stmd.annotation","schema_version":1,\#
            "stream":"news","tasks":{"sentiment":{"kind":"classify","label":"positive","model":"sentiment-en",\#
            "model_version":"1","score":0.7,"scores":{"negative":0.3,"positive":0.7}},"topic":{"kind":"classify",\#
            "label":"Business","model":"topic-news","model_version":"1","score":0.91,"scores":{"Business":0.91,\#
            "Sci/Tech":0.06,"Sports":0.01,"World":0.02}}},"timing":{"tasks_ms":{"sentiment":0.31,"topic":0.8},\#
            "total_ms":1.235}}
            """#
        #expect(try json(Self.example()) == expected)
    }

    @Test func omitsStreamAndNameBase64WhenAbsent() throws {
        var annotation = Self.example()
        annotation.stream = nil
        let text = try json(annotation)
        #expect(!text.contains("\"stream\""))
        #expect(!text.contains("name_base64"))
        #expect(text.hasPrefix(#"{"input":{"characters":26,"#))
    }

    @Test func roundsScoresToSixDecimals() throws {
        let result = Annotation.Classification(
            model: "m", modelVersion: "2", label: "a", score: 0.123_456_789, scores: ["a": 0.123_456_789, "b": 1e-7])
        var annotation = Self.example()
        annotation.tasks = ["t": .classification(result)]
        let text = try json(annotation)
        #expect(text.contains(#""score":0.123457,"scores":{"a":0.123457,"b":0}"#))
    }

    // MARK: - Names

    @Test func nameThatIsNotUTF8IsEscapedAndKeptInBase64() throws {
        let name = InputName(bytes: [0x66, 0xE9, 0x2E, 0x74, 0x78, 0x74])
        #expect(name.name == #"f\xE9.txt"#)
        #expect(name.nameBase64 == "ZukudHh0")
        let document = Annotation.DecodedDocument(contents: [], name: [0x66, 0xE9, 0x2E, 0x74, 0x78, 0x74])
        var annotation = Self.example()
        annotation.input = document.input
        #expect(try json(annotation).contains(#""name":"f\\xE9.txt","name_base64":"ZukudHh0""#))
    }

    @Test func escapingDoublesBackslashesOnlyInNonUTF8Names() {
        #expect(InputName(bytes: Array(#"a\b.txt"#.utf8)).name == #"a\b.txt"#)
        #expect(InputName(bytes: Array(#"a\b"#.utf8) + [0xFF]).name == #"a\\b\xFF"#)
        // A truncated sequence: each of its bytes is escaped, the valid text around it is kept.
        #expect(InputName(bytes: [0xE2, 0x82, 0x78] + Array("é".utf8)).name == #"\xE2\x82xé"#)
        // The text `\xE9` in a UTF-8 name is just text; the absent base64 says so.
        let literal = InputName(bytes: Array(#"f\xE9.txt"#.utf8))
        #expect(literal.name == #"f\xE9.txt"# && literal.nameBase64 == nil)
    }

    @Test func escapedNamesAndBase64RestoreTheBytes() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let pool: [UInt8] = [
                0x5C, 0x78, 0x41, 0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0xFF, 0x80, 0xF0, 0x9F, 0x91, 0x8D, 0x2E,
            ]
            let bytes = (0..<Int.random(in: 0...12, using: &generator)).map { _ in
                pool.randomElement(using: &generator)!
            }
            let name = InputName(bytes: bytes)
            if let base64 = name.nameBase64 {
                #expect(Data(base64Encoded: base64).map(Array.init) == bytes, "\(bytes)")
                #expect(Self.unescape(name.name) == bytes, "\(bytes)")
            } else {
                #expect(Array(name.name.utf8) == bytes)
            }
        }
        #expect(InputName.base64([]) == "")
        #expect(InputName.base64(Array("f".utf8)) == "Zg==")
        #expect(InputName.base64(Array("fo".utf8)) == "Zm8=")
        #expect(InputName.base64(Array("foobar".utf8)) == "Zm9vYmFy")
    }

    /// The inverse of the escaping, as a reader would write it: `\\` is a backslash, `\xNN` a byte.
    static func unescape(_ name: String) -> [UInt8] {
        let utf8 = Array(name.utf8)
        var bytes: [UInt8] = []
        var index = 0
        while index < utf8.count {
            if utf8[index] == UInt8(ascii: "\\") {
                if utf8[index + 1] == UInt8(ascii: "\\") {
                    bytes.append(UInt8(ascii: "\\"))
                    index += 2
                } else {
                    bytes.append(UInt8(String(decoding: utf8[(index + 2)..<(index + 4)], as: UTF8.self), radix: 16)!)
                    index += 4
                }
            } else {
                bytes.append(utf8[index])
                index += 1
            }
        }
        return bytes
    }

    @Test func nameWithANewlineStaysOnOneLine() throws {
        let document = Annotation.DecodedDocument(contents: Self.contents, name: Array("two\nlines.txt".utf8))
        #expect(document.input.name == "two\nlines.txt")
        #expect(document.input.nameBase64 == nil)
        var annotation = Self.example()
        annotation.input = document.input
        let bytes = try annotation.encoded()
        #expect(!bytes.contains(UInt8(ascii: "\n")))
        #expect(String(decoding: bytes, as: UTF8.self).contains(#""name":"two\nlines.txt""#))
        #expect(try Annotation.decode(bytes).input.name == "two\nlines.txt")
    }

    // MARK: - Decoding the document

    @Test(arguments: [Annotation.Input.TextEncoding.utf16LittleEndian, .utf16BigEndian])
    func decodesUTF16ByItsByteOrderMark(encoding: Annotation.Input.TextEncoding) {
        let text = "Naïve 👍\n"
        var bytes: [UInt8] = encoding == .utf16LittleEndian ? [0xFF, 0xFE] : [0xFE, 0xFF]
        for unit in text.utf16 {
            let pair = [UInt8(unit & 0xFF), UInt8(unit >> 8)]
            bytes += encoding == .utf16LittleEndian ? pair : pair.reversed()
        }
        let document = Annotation.DecodedDocument(contents: bytes, name: Array("u16.txt".utf8))
        #expect(document.text == text)
        #expect(document.input.encoding == encoding)
        #expect(document.input.invalidUTF8 == false)
        #expect(document.input.characters == 8)  // the emoji is one scalar, two UTF-16 units
        #expect(document.input.size == bytes.count)
        #expect(document.input.sha256 == SHA256.hex(of: SHA256.hash(bytes)))

        // An unpaired surrogate and an odd last byte are replaced and flagged.
        var broken: [UInt8] = Array(bytes.prefix(2))
        for unit: UInt16 in [0x41, 0xD800, 0x42] {
            let pair = [UInt8(unit & 0xFF), UInt8(unit >> 8)]
            broken += encoding == .utf16LittleEndian ? pair : pair.reversed()
        }
        broken.append(0x43)
        let replaced = Annotation.DecodedDocument(contents: broken, name: [])
        #expect(replaced.input.invalidUTF8)
        #expect(replaced.text == "A\u{FFFD}B\u{FFFD}")
        #expect(replaced.input.characters == 4)
    }

    @Test func stripsTheUTF8ByteOrderMarkButHashesEveryByte() {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("héllo".utf8)
        let document = Annotation.DecodedDocument(contents: bytes, name: Array("bom.txt".utf8))
        #expect(document.text == "héllo")
        #expect(document.input.encoding == .utf8)
        #expect(document.input.characters == 5)
        #expect(document.input.size == 9)
        #expect(document.input.sha256 == SHA256.hex(of: SHA256.hash(bytes)))
    }

    @Test func invalidUTF8IsReplacedAndFlagged() {
        let document = Annotation.DecodedDocument(contents: Array("caf".utf8) + [0xE9] + Array(" ok".utf8), name: [])
        #expect(document.text == "caf\u{FFFD} ok")
        #expect(document.input.invalidUTF8)
        #expect(document.input.characters == 7)
        let clean = Annotation.DecodedDocument(contents: Self.contents, name: [])
        #expect(!clean.input.invalidUTF8)
        #expect(clean.input.tokens == 0)
    }

    // MARK: - Determinism and the run-dependent rule

    @Test func sameInputGivesIdenticalBytes() throws {
        let first = try Self.example().encoded()
        #expect(try Self.example().encoded() == first)
        // Dictionaries built in another order: the sorted keys make the bytes the same.
        var reordered = Self.example()
        reordered.tasks = Dictionary(uniqueKeysWithValues: reordered.tasks.sorted { $0.key > $1.key })
        reordered.timing.taskMilliseconds = ["sentiment": 0.31, "topic": 0.8]
        #expect(try reordered.encoded() == first)
    }

    @Test func onlyRunDependentKeysChangeWhenTheTimingsDo() throws {
        let a = try Self.leaves(of: Self.example(totalMilliseconds: 1.5, topicMilliseconds: 0.8).encoded())
        let b = try Self.leaves(of: Self.example(totalMilliseconds: 97.25, topicMilliseconds: 42).encoded())
        #expect(Set(a.keys) == Set(b.keys))
        let changed = a.keys.filter { a[$0] != b[$0] }.sorted()
        #expect(changed == ["timing.tasks_ms.topic", "timing.total_ms"])
        for path in changed {
            let components = path.split(separator: ".").map(String.init)
            #expect(components.contains(where: Annotation.isRunDependent(key:)), "\(path) varies between runs")
            #expect(components.contains { key in Self.allowedFragments.contains { key.contains($0) } })
        }
        // The walk does see input changes: a different document changes keys outside the allowed set.
        var other = Self.example(totalMilliseconds: 1.5, topicMilliseconds: 0.8)
        other.input.tokens = 6
        let c = try Self.leaves(of: other.encoded())
        #expect(a.keys.filter { a[$0] != c[$0] } == ["input.tokens"])
        #expect(!Annotation.isRunDependent(key: "tokens") && !Annotation.isRunDependent(key: "input"))
    }

    /// The rule as the issue states it, spelled out independently of `Annotation.runDependentKeyFragments`.
    static let allowedFragments = ["time", "timing", "ms", "seconds", "duration", "latency", "elapsed", "path"]

    /// Every scalar of a JSON document by its dotted key path, parsed with JSONSerialization.
    static func leaves(of json: [UInt8]) throws -> [String: String] {
        var result: [String: String] = [:]
        func walk(_ value: Any, _ path: String) {
            if let object = value as? [String: Any] {
                for (key, child) in object { walk(child, path.isEmpty ? key : "\(path).\(key)") }
            } else if let array = value as? [Any] {
                for (index, child) in array.enumerated() { walk(child, "\(path)[\(index)]") }
            } else {
                result[path] = "\(value)"
            }
        }
        walk(try JSONSerialization.jsonObject(with: Data(json)), "")
        return result
    }

    // MARK: - Reading

    @Test func decodesWhatItEncodesAndIgnoresUnknownKeys() throws {
        let annotation = Self.example()
        let decoded = try Annotation.decode(annotation.encoded())
        #expect(decoded.input == annotation.input)
        #expect(decoded.models == annotation.models)
        #expect(decoded.tasks["topic"]?.kind == "classify")
        guard case .classification(let topic) = decoded.tasks["topic"] else {
            Issue.record("topic is not a classification")
            return
        }
        #expect(topic.label == "Business" && topic.score == 0.91 && topic.scores["Sci/Tech"] == 0.06)

        // A newer writer: an extra section, an extra key and a task kind this reader does not know.
        var text = String(decoding: try annotation.encoded(), as: UTF8.self)
        text = text.replacingOccurrences(of: #""models":"#, with: #""anomaly":{"window":3},"models":"#)
        text = text.replacingOccurrences(of: #""size":26,"#, with: #""size":26,"language":"en","#)
        text = text.replacingOccurrences(
            of: #""tasks":{"#, with: #""tasks":{"keywords":{"kind":"keyphrases","phrases":["Stocks rallied."]},"#)
        let newer = try Annotation.decode(Array(text.utf8))
        #expect(newer.tasks["keywords"] == .unrecognized(kind: "keyphrases"))
        #expect(newer.input == annotation.input)
    }

    @Test func refusesOtherSchemasAndVersions() throws {
        let text = String(decoding: try Self.example().encoded(), as: UTF8.self)
        for (old, new) in [(#""schema_version":1"#, #""schema_version":2"#), (#""stmd.annotation""#, #""other""#)] {
            #expect(throws: DecodingError.self) {
                try Annotation.decode(Array(text.replacingOccurrences(of: old, with: new).utf8))
            }
        }
    }

    @Test func classificationPicksTheFirstOfEqualProbabilities() {
        let result = Annotation.Classification(
            model: "m", modelVersion: "1", labels: ["a", "b", "c"], probabilities: [0.25, 0.5, 0.5])
        #expect(result.label == "b" && result.score == 0.5)
        #expect(result.scores == ["a": 0.25, "b": 0.5, "c": 0.5])
    }

    @Test func nonFiniteScoreIsAnEncodingError() {
        var annotation = Self.example()
        annotation.tasks["broken"] = .classification(
            Annotation.Classification(model: "m", modelVersion: "1", label: "a", score: .nan, scores: ["a": .nan]))
        #expect(throws: EncodingError.self) { try annotation.encoded() }
    }
}

extension AnnotationTests {
    /// The `memory` section (issue 6) encodes with the documented keys, rounded, and decodes back.
    @Test func memorySectionRoundTrips() throws {
        var annotation = Self.example()
        annotation.memory = Annotation.MemorySection(
            id: "0123456789abcdef", sequence: 4, window: 3,
            related: [.init(id: "fedcba9876543210", name: "a.txt", similarity: 0.912_345_678, sequence: 2)],
            novelty: 0.087_654_322, nearDuplicate: false, duplicateOf: nil,
            labelDistribution: ["topic": ["Business": 0.75, "World": 0.25]], sentimentMean: -0.125,
            drift: .init(alert: true, sentiment: .init(alert: true, direction: "down", level: 1.02), topic: nil),
            state: .init(documents: 4, size: 0, norm: 0, decay: 0.5), context: nil)
        let json = try annotation.encoded()
        let leaves = try Self.leaves(of: json)
        #expect(leaves["memory.related[0].similarity"] == "0.912346")
        #expect(leaves["memory.near_duplicate"] == "0")
        #expect(leaves["memory.label_distribution.topic.Business"] == "0.75")
        #expect(leaves["memory.drift.sentiment.direction"] == "down")
        #expect(leaves["memory.state.decay"] == "0.5")
        #expect(leaves["memory.duplicate_of"] == nil)
        let decoded = try Annotation.decode(json)
        #expect(decoded.memory?.sequence == 4 && decoded.memory?.related.first?.name == "a.txt")
        #expect(decoded.memory?.drift.sentiment?.direction == "down")
    }
}
