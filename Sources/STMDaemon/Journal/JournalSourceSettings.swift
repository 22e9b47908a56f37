/// One `[[journal]]` entry of the configuration: which entries to follow and how to group them into streams.
public struct JournalSourceSettings: Sendable, Equatable {
    /// Where to start when there is no checkpoint yet: only new entries (`tail`) or everything kept (`head`).
    public enum Start: String, Sendable, Equatable { case tail, head }

    /// Unique: the checkpoint's key.
    public var name: String
    public var location: JournalReader.Location
    /// `FIELD=value` terms (`_SYSTEMD_UNIT=nginx.service`, `SYSLOG_IDENTIFIER=sshd`): the same field ORed,
    /// different fields ANDed.
    public var matches: [String]
    /// Only entries of this priority or more urgent (0 emerg … 7 debug); nil: all.
    public var maximumPriority: Int?
    /// The field whose value names an entry's stream.
    public var streamField: String
    public var start: Start

    public init(
        name: String, location: JournalReader.Location = .local, matches: [String] = [], maximumPriority: Int? = nil,
        streamField: String = "_SYSTEMD_UNIT", start: Start = .tail
    ) {
        self.name = name
        self.location = location
        self.matches = matches
        self.maximumPriority = maximumPriority
        self.streamField = streamField
        self.start = start
    }
}
