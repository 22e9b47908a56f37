import STMTasks
import TOMLKit

/// `tasks`, in either form: a table of task name → model (a model name, or an inline table with the model and its
/// settings), or a list of short words for the shipped models (`["topic", "summary", "translate:de-en"]`).
extension ConfigurationParser {
    /// Task names become journald fields (`STM_TOPIC`), so they are limited to lower-case letters, digits and `_`,
    /// starting with a letter.
    mutating func tasks(in table: inout ConfigurationTable, key: String) -> [String: TaskSpec]? {
        guard let value = table.value(key) else { return nil }
        var tasks: [String: TaskSpec] = [:]
        if let list = value.array {
            for (index, element) in list.enumerated() {
                let item = element.tomlValue
                guard let word = item.string else {
                    wrongType(table, key, index: index, expected: "a task word (\(TaskSpec.shorthandHelp))", item)
                    continue
                }
                guard let (task, model) = TaskSpec.shorthand(word) else {
                    invalid(table, key, index: index, item, "unknown task; use \(TaskSpec.shorthandHelp), or a table of task = model")
                    continue
                }
                guard tasks[task] == nil else {
                    invalid(table, key, index: index, item, "listed twice")
                    continue
                }
                tasks[task] = TaskSpec(model: model)
            }
        } else if let entries = value.table {
            var tasksTable = ConfigurationTable(entries, path: table.path + [key])
            for name in tasksTable.table.keys {
                let value = tasksTable.value(name)!
                guard Self.isTaskName(name) else {
                    problems.append(
                        .invalidName(
                            file: file, key: tasksTable.dottedKey(name),
                            reason: "a task name is lower-case letters, digits and '_', starting with a letter"))
                    continue
                }
                if let spec = task(name, value, in: &tasksTable) { tasks[name] = spec }
            }
        } else {
            wrongType(table, key, expected: "a table of task = model, or a list such as [\"topic\", \"summary\"]", value)
            return nil
        }
        if tasks.isEmpty && (value.array?.isEmpty ?? false || value.table?.isEmpty ?? false) {
            problems.append(
                .invalidValue(
                    file: file, key: table.dottedKey(key), value: Self.render(value),
                    reason: "no tasks; give at least one (to leave a stream alone, set enabled = false)"))
        }
        return tasks
    }

    /// One entry of the table form: `"summary-news"` or `{ model = "summary-news", sentences = 3 }`.
    private mutating func task(_ name: String, _ value: TOMLValue, in tasksTable: inout ConfigurationTable) -> TaskSpec? {
        if let model = value.string {
            guard !model.isEmpty else {
                invalid(tasksTable, name, value, "the model name is empty")
                return nil
            }
            return TaskSpec(model: model)
        }
        guard let settings = value.table else {
            wrongType(tasksTable, name, expected: "a model name (a string) or { model = \"…\", … }", value)
            return nil
        }
        var table = ConfigurationTable(settings, path: tasksTable.path + [name])
        let model = string("model", in: &table)
        var options = TaskOptions()
        let sentences = integer("sentences", in: &table, minimum: 1)
        let ratio = fraction("ratio", in: &table)
        options.beamWidth = integer("beam", in: &table, minimum: 1)
        options.maximumSentences = integer("max_sentences", in: &table, minimum: 1)
        reportUnknownKeys(in: table)
        if let sentences, ratio != nil {
            invalid(table, "ratio", settings["ratio"]!.tomlValue, "give sentences = \(sentences) or ratio, not both")
        }
        options.summaryLength = sentences.map { .sentences($0) } ?? ratio.map { .ratio($0) }
        guard let model, !model.isEmpty else {
            if model?.isEmpty == true {
                invalid(table, "model", settings["model"]!.tomlValue, "the model name is empty")
            } else if settings["model"] == nil {
                problems.append(
                    .invalidValue(
                        file: file, key: tasksTable.dottedKey(name), value: Self.render(value),
                        reason: "no model; write { model = \"NAME\", … }"))
            }
            return nil
        }
        return TaskSpec(model: model, options: options)
    }

    /// A number in (0, 1] (an integer 1 counts).
    private mutating func fraction(_ key: String, in table: inout ConfigurationTable) -> Double? {
        guard let value = table.value(key) else { return nil }
        guard let number = value.double ?? value.int.map(Double.init) else {
            wrongType(table, key, expected: "a number in (0, 1]", value)
            return nil
        }
        guard number > 0, number <= 1 else {
            invalid(table, key, value, "must be more than 0 and at most 1")
            return nil
        }
        return number
    }
}
