/// One journal entry as a log stream sees it.
public struct JournalEntry: Sendable, Equatable {
    /// Where it is in the journal: the checkpoint after it is processed.
    public var cursor: String
    public var realtimeMicroseconds: UInt64
    public var message: String
    /// The stream it belongs to: the value of the source's stream field (`_SYSTEMD_UNIT` by default), else
    /// `SYSLOG_IDENTIFIER`, else the source's name.
    public var stream: String
    /// syslog priority, 0 (emerg) … 7 (debug), when the entry has one.
    public var priority: Int?
    /// `SYSLOG_IDENTIFIER`, `_SYSTEMD_UNIT`, `_PID`, `MESSAGE_ID` when present.
    public var fields: [String: String]

    public init(
        cursor: String, realtimeMicroseconds: UInt64, message: String, stream: String, priority: Int?,
        fields: [String: String]
    ) {
        self.cursor = cursor
        self.realtimeMicroseconds = realtimeMicroseconds
        self.message = message
        self.stream = stream
        self.priority = priority
        self.fields = fields
    }
}
