/// One monitored stream of log lines — a journald unit, or a `kind = "lines"` inbox stream: its templates and
/// its anomaly detector, judged line by line in order, with the feedback and checkpoint calls beside them.
/// (The daemon's journal wiring, `STMDaemon.LogStreamMonitor`, keeps the same pair per stream itself.)
///
/// Template ids are per stream: each stream mines its own templates, so one noisy unit's templates neither
/// crowd nor rename another's.
public struct MonitoredLogStream: Sendable {
    public private(set) var miner: TemplateMiner
    public private(set) var detector: LogAnomalyDetector

    public init(miner: TemplateMiner, detector: LogAnomalyDetector) {
        self.miner = miner
        self.detector = detector
    }

    /// A stream nobody trained a model for: the first `settings.learningLines` lines teach it.
    public init(
        settings: LogDetectorSettings = LogDetectorSettings(learningLines: 2000),
        templates: TemplateMinerConfiguration = .init(),
        classCapacity: Int = 256, seed: UInt64 = 1
    ) {
        self.init(
            miner: TemplateMiner(configuration: templates),
            detector: LogAnomalyDetector(classCapacity: classCapacity, settings: settings, seed: seed))
    }

    /// A stream served by a trained bundle (`stmd train logs --data …`): its templates and weights.
    public init(bundle: LogModelBundle, settings: LogDetectorSettings? = nil) throws(TemplateStateError) {
        let miner = try bundle.templates.map { state throws(TemplateStateError) in try TemplateMiner(state: state) }
        self.init(miner: miner ?? TemplateMiner(), detector: bundle.makeDetector(settings: settings))
    }

    /// What happened to one line.
    public struct LineResult: Sendable, Equatable {
        public let templateId: Int
        /// `.created` / `.generalized`: the template set changed (worth an info/debug event); `.overflow`: the
        /// template limit is reached.
        public let templateChange: TemplateMatch.Change
        public let verdict: LogVerdict
    }

    /// Mines `message`'s template and judges it. `message` is the text without its header (journald's MESSAGE).
    public mutating func process(_ message: String) -> LineResult {
        let match = miner.add(message)
        return LineResult(
            templateId: match.templateId, templateChange: match.change, verdict: detector.observe(match.templateId))
    }

    /// The same for a message given as UTF-8 bytes.
    public mutating func process(bytes message: UnsafeBufferPointer<UInt8>) -> LineResult {
        let match = miner.add(bytes: message)
        return LineResult(
            templateId: match.templateId, templateChange: match.change, verdict: detector.observe(match.templateId))
    }

    /// The template's text, for alerts (`STM_TEMPLATE`, the predicted alternatives).
    public func templateText(_ id: Int) -> String {
        if id == LogAnomalyDetector.endOfSequenceId { return "(end of sequence)" }
        return miner.template(id: id)?.text ?? "(unknown template)"
    }

    /// An operator marked the line of `verdict` normal (`stmd logs mark-normal`): retrain on it.
    /// - Returns: whether the line is now expected in its context.
    @discardableResult
    public mutating func markNormal(_ verdict: LogVerdict) -> Bool { detector.markNormal(verdict) }

    /// Ends the learning period now (a learning period in minutes: the caller's clock decides).
    public mutating func finishLearning() { detector.finishLearning() }

    /// A gap that breaks the stream's context (the unit restarted): the next line starts a new sequence.
    public mutating func restartSequence() { detector.startStream() }
}
