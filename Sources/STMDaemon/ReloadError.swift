import Glibc

/// Why a reload could not run.
enum ReloadError: Error, CustomStringConvertible {
    case noConfigurationSource

    var description: String { "this daemon was started without a configuration source to read again" }
}
