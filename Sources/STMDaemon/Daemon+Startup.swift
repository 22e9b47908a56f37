import Glibc
public import STMMemory
public import STMTasks

/// What start-up (and a reload) load and check before any document is touched.
extension Daemon {
    /// Loads every model any stream names, once (a missing or corrupt model is an error here, not per document),
    /// and checks each task's settings against its model's kind (`beam` on a classifier is refused).
    public static func loadModels(for configuration: DaemonConfiguration, locator: ModelLocator) throws -> [String: TaskModel] {
        let specs = configuration.tasks.map { (where: "[defaults] tasks", task: $0.key, spec: $0.value) }
            + configuration.streams.sorted { $0.key < $1.key }.flatMap { stream, override in
                (override.tasks ?? [:]).map { (where: "[streams.\(stream)] tasks", task: $0.key, spec: $0.value) }
            }
        var loaded: [String: TaskModel] = [:]
        for model in Set(specs.map(\.spec.model)).sorted() {
            loaded[model] = try TaskModel.load(directory: try locator.locate(model))
        }
        for (place, task, spec) in specs.sorted(by: { ($0.where, $0.task) < ($1.where, $1.task) }) {
            guard let model = loaded[spec.model] else { continue }
            let unsupported = spec.options.unsupported(by: model)
            if !unsupported.isEmpty {
                throw StartupError.unsupportedTaskSettings(place: place, task: task, model: spec.model, keys: unsupported)
            }
        }
        return loaded
    }

    /// `[memory] context_head`: the head, checked against the topic task's model (its base), with that model's
    /// labels; nil when it is `"none"`. Not set, the topic model's own head is used where one is installed
    /// (`<model>-context`, as `topic-news-context` ships beside `topic-news`), so the stream state is on by default.
    public static func loadContextHead(
        _ configuration: DaemonConfiguration, models: [String: TaskModel], locator: ModelLocator
    ) throws -> (model: any StreamContextModel, labels: [String])? {
        let topicTask = configuration.memory.settings.topicTask
        let name: String
        switch configuration.memory.contextHead {
        case DaemonConfiguration.MemoryConfiguration.noContextHead:
            return nil
        case let configured?:
            name = configured
        case nil:
            guard let baseName = configuration.tasks[topicTask]?.model, case .classifier? = models[baseName],
                !baseName.contains("/"), let found = try? locator.locate(baseName + "-context")
            else { return nil }
            name = found
        }
        let head = try ContextHead(directory: try locator.locate(name))
        guard let baseName = configuration.tasks[topicTask]?.model, case .classifier(let base)? = models[baseName] else {
            throw StartupError.contextHeadWithoutBase(head: name, task: topicTask)
        }
        try head.checkBase(base)
        return (head, base.labels)
    }

    /// The settings a running daemon cannot change: the watcher, the queue and the worker pool are built with them.
    static func restartOnlyChanges(from old: DaemonConfiguration, to new: DaemonConfiguration) -> [String] {
        var changed: [String] = []
        if old.workers != new.workers { changed.append("workers") }
        if old.settleDelay != new.settleDelay { changed.append("settle_delay") }
        if old.maximumWait != new.maximumWait { changed.append("maximum_wait") }
        if old.queueCapacity != new.queueCapacity { changed.append("queue_capacity") }
        if old.poll != new.poll || old.pollInterval != new.pollInterval { changed.append("poll") }
        if old.ignore != new.ignore { changed.append("ignore") }
        if old.output != new.output { changed.append("output") }
        if old.stateDirectory != new.stateDirectory { changed.append("state_directory") }
        if old.journal != new.journal { changed.append("journal") }
        if old.logs != new.logs { changed.append("logs") }
        if old.memory != new.memory { changed.append("memory") }
        return changed
    }

    /// Outputs are written beside the documents (or under `output_root`): a folder the daemon cannot write is
    /// an error at start-up, with the systemd setting that usually causes it.
    static func checkWritable(roots: [String], output: DaemonConfiguration.Output) throws {
        let folders: [String]
        switch output {
        case .alongside: folders = roots
        case .root(let path): folders = [path]
        }
        for folder in folders where access(folder, W_OK) != 0 {
            let code = errno
            if code == ENOENT { continue }  // the watcher reports a missing root with its own message
            throw StartupError.notWritable(path: folder, errno: code)
        }
    }
}
