import Foundation
import Glibc
import STMDaemon
import STMTesting
import Testing

struct StateDirectoryTests {
    @Test func resolvesExplicitThenSystemdThenWorkingDirectory() {
        #expect(StateDirectory.resolve(explicit: "/x", environment: ["STATE_DIRECTORY": "/y"]) == "/x")
        #expect(StateDirectory.resolve(explicit: nil, environment: ["STATE_DIRECTORY": "/var/lib/stmd:/other"]) == "/var/lib/stmd")
        #expect(StateDirectory.resolve(explicit: nil, environment: [:]) == "./.stmd")
    }

    @Test func createsPrivateFolderAndRefusesASecondLock() throws {
        let root = try TemporaryDirectory()
        let path = root.path + "/state"
        let first = try StateDirectory(path: path)
        var status = stat()
        #expect(stat(path, &status) == 0)
        #expect(status.st_mode & 0o777 == 0o700)
        try first.lock()
        #expect(first.holderPID() == getpid())
        let second = try StateDirectory(path: path)
        #expect(throws: StateDirectoryError.locked(path: path)) { try second.lock() }
    }

    /// `stmd status` asks the kernel whether the lock is held: true while a holder lives, false once it is gone.
    @Test func theLockIsSeenHeldExactlyWhileItsHolderLives() throws {
        let root = try TemporaryDirectory()
        let path = root.path + "/state"
        let reader = try StateDirectory(path: path)
        #expect(reader.lockIsHeld() == false)
        do {
            let holder = try StateDirectory(path: path)
            try holder.lock()
            #expect(reader.lockIsHeld() == true)
            // Looking does not take the lock: the holder's lock is still the only one, and a second one is refused.
            #expect(throws: StateDirectoryError.locked(path: path)) { try StateDirectory(path: path).lock() }
        }
        #expect(reader.lockIsHeld() == false)
        try StateDirectory(path: path).lock()
    }

    @Test func aFileInTheWayIsAClearError() throws {
        let root = try TemporaryDirectory()
        try Data().write(to: URL(fileURLWithPath: root.path + "/file"))
        #expect(throws: StateDirectoryError.unusable(path: root.path + "/file", reason: "not a directory")) {
            try StateDirectory(path: root.path + "/file")
        }
    }
}
