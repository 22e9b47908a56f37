import STMDaemon
import STMTasks
import Testing

/// `tasks` in its three spellings — model names, a model with settings, the list of short words — and the errors
/// each gives for a slip.
struct TaskConfigurationTests {
    private func tasks(_ text: String) throws -> [String: TaskSpec] {
        try DaemonConfiguration.parse(text, file: "stmd.toml").tasks
    }

    private func message(_ text: String) -> String? {
        do {
            _ = try DaemonConfiguration.parse(text, file: "stmd.toml")
            return nil
        } catch {
            return error.description
        }
    }

    @Test func aTaskIsAModelNameOrAModelWithSettings() throws {
        let parsed = try tasks(
            """
            [defaults.tasks]
            topic = "topic-news"
            summary = { model = "summary-news", sentences = 3 }
            brief = { model = "summary-news", ratio = 0.25 }
            translation = { model = "translate-en-de", beam = 2, max_sentences = 40 }
            """)
        #expect(parsed["topic"] == TaskSpec(model: "topic-news"))
        #expect(parsed["summary"] == TaskSpec(model: "summary-news", options: TaskOptions(summaryLength: .sentences(3))))
        #expect(parsed["brief"] == TaskSpec(model: "summary-news", options: TaskOptions(summaryLength: .ratio(0.25))))
        #expect(
            parsed["translation"]
                == TaskSpec(model: "translate-en-de", options: TaskOptions(beamWidth: 2, maximumSentences: 40)))
        #expect(parsed["translation"]?.description == "translate-en-de(beam=2,max_sentences=40)")
    }

    @Test func theListFormNamesShippedModels() throws {
        let parsed = try tasks(#"[defaults]"# + "\n" + #"tasks = ["topic", "sentiment", "summary", "translate:de-en"]"#)
        #expect(
            parsed == [
                "topic": "topic-news", "sentiment": "sentiment-en", "summary": "summary-news",
                "translate_de_en": "translate-de-en",
            ])
        let stream = try DaemonConfiguration.parse("[streams.mail]\ntasks = [\"question\"]", file: "stmd.toml")
        #expect(stream.settings(forStream: "mail").tasks == ["question": "question-trec"])
    }

    @Test func slipsAreRefusedWithTheirKeys() {
        #expect(
            message("[defaults]\ntasks = [\"topics\"]")
                == "stmd.toml: defaults.tasks[0] = \"topics\": unknown task; use \"question\", \"sentiment\", \"summary\", \"topic\" or \"translate:SRC-TGT\" (e.g. \"translate:de-en\"), or a table of task = model")
        #expect(
            message("[defaults]\ntasks = [\"translate:de\"]")?.contains("defaults.tasks[0] = \"translate:de\": unknown task") == true)
        #expect(message("[defaults]\ntasks = [\"topic\", \"topic\"]") == "stmd.toml: defaults.tasks[1] = \"topic\": listed twice")
        #expect(
            message("[defaults]\ntasks = []")
                == "stmd.toml: defaults.tasks = []: no tasks; give at least one (to leave a stream alone, set enabled = false)")
        #expect(
            message("[defaults.tasks]\nsummary = { model = \"summary-news\", sentences = 3, ratio = 0.5 }")
                == "stmd.toml: defaults.tasks.summary.ratio = 0.5: give sentences = 3 or ratio, not both")
        #expect(
            message("[defaults.tasks]\nsummary = { sentences = 3 }")
                == "stmd.toml: defaults.tasks.summary = { sentences = … }: no model; write { model = \"NAME\", … }")
        #expect(
            message("[defaults.tasks]\nsummary = { model = \"summary-news\", sentence = 3 }")
                == "stmd.toml: unknown key 'defaults.tasks.summary.sentence' (did you mean 'defaults.tasks.summary.sentences'?)")
        #expect(
            message("[defaults.tasks]\nsummary = { model = \"summary-news\", ratio = 1.5 }")
                == "stmd.toml: defaults.tasks.summary.ratio = 1.5: must be more than 0 and at most 1")
        #expect(
            message("[defaults.tasks]\ntranslation = { model = \"translate-en-de\", beam = 0 }")
                == "stmd.toml: defaults.tasks.translation.beam = 0: must be at least 1")
    }

    /// The worker's annotator cache is keyed by this text: two tasks differing only in a setting must differ.
    @Test func optionsDescribeThemselvesStably() {
        let summary = TaskOptions(summaryLength: .sentences(2))
        let translation = TaskOptions(beamWidth: 3, maximumSentences: 10)
        #expect(summary.description == "sentences=2")
        #expect(TaskOptions().description.isEmpty)
        #expect(TaskOptions(summaryLength: .ratio(0.5)).description == "ratio=0.5")
        #expect(translation.description == "beam=3,max_sentences=10")
        #expect(TaskOptions(beamWidth: 3, maximumSentences: 10) == translation)
    }
}
