/// Journal `MESSAGE_ID`s of the events an operator acts on; `systemd/stmd.catalog` explains each one
/// (`journalctl -x`, `journalctl MESSAGE_ID=…`). Fixed forever once released: queries and alerting rules use them.
public enum MessageID: String, Sendable, CaseIterable {
    case started = "dd223a30a28d47228a16cf18fc586ccb"
    case stopped = "3ab769ddaeec480fa286bb459282a0d5"
    case reloaded = "9a90795158454c338312cb55409971de"
    case reloadFailed = "204eb2ccac114a7d8633c592ee3f1296"
    case documentFailed = "bdef355cfa524dfea86c9b1b5ee37cc3"
    case overflow = "57925669915247ef92b28f1a94ace8d6"
    case limitReached = "af37722ec49a49288f9e075c425548ce"
    case driftAlert = "d05b1648090244f08399db215e56e41e"
    case logAnomaly = "6821be9950684613a58d925bc8e9254c"
    case watchdogStall = "4ab7c8d1d5ca48558d1dfef23f93237d"
}
