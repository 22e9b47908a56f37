import Foundation
import STMTasks
import STMTesting
import Testing

struct ModelLocatorTests {
    private func makeModelFolder(_ root: String, _ name: String) throws {
        try FileManager.default.createDirectory(atPath: root + "/" + name, withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: URL(fileURLWithPath: root + "/" + name + "/config.json"))
    }

    @Test func searchOrderIsExplicitThenEnvironmentThenRepositoryThenPrefix() throws {
        let root = try TemporaryDirectory()
        // A fake checkout: <repo>/Package.swift, <repo>/Models/, binary at <repo>/.build/debug/stmd.
        let repository = root.path + "/repo"
        try FileManager.default.createDirectory(atPath: repository + "/.build/debug", withIntermediateDirectories: true)
        try Data().write(to: URL(fileURLWithPath: repository + "/Package.swift"))
        try Data().write(to: URL(fileURLWithPath: repository + "/.build/debug/stmd"))
        try makeModelFolder(repository + "/Models", "topic")
        try makeModelFolder(root.path + "/env", "topic")
        try makeModelFolder(root.path + "/explicit", "other")
        let locator = ModelLocator.standard(
            explicitFolders: [root.path + "/explicit"], environment: ["STMD_MODELS": root.path + "/env"],
            executablePath: repository + "/.build/debug/stmd")
        #expect(locator.searchPath.prefix(3) == [root.path + "/explicit", root.path + "/env", repository + "/Models"])
        #expect(locator.searchPath.last == repository + "/.build/share/stmd/models")
        #expect(try locator.locate("topic") == root.path + "/env/topic")
        #expect(try locator.locate("other") == root.path + "/explicit/other")
        #expect(locator.installedModels().map(\.name) == ["other", "topic"])
        // A path is taken as it is.
        #expect(try locator.locate(repository + "/Models/topic") == repository + "/Models/topic")
    }

    @Test func unknownNameListsWhereItLooked() throws {
        let root = try TemporaryDirectory()
        let locator = ModelLocator(searchPath: [root.path + "/a", root.path + "/b"])
        #expect {
            try locator.locate("nope")
        } throws: { error in
            let text = String(describing: error)
            return text.contains("'nope'") && text.contains(root.path + "/a") && text.contains(root.path + "/b")
        }
        #expect(throws: ModelLoadError.self) { try locator.locate(root.path + "/not-a-model") }
    }
}
