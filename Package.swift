// swift-tools-version:6.1
import PackageDescription

/// Settings every stmd target shares: Swift 6 strictness plus the upcoming features STYLE.md asks for.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

/// Numeric targets: release builds specialise generics across modules (the cells call the tensor kernels
/// in their inner loops) and drop exclusivity checks, which show up in per-element kernels.
/// These live here so that a plain `swift build -c release` produces the real binary.
let numericSettings: [SwiftSetting] =
    strictSettings + [
        .unsafeFlags(["-cross-module-optimization", "-enforce-exclusivity=unchecked"], .when(configuration: .release))
    ]

let package = Package(
    name: "stmd",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "stmd", targets: ["stmd"]),
        .library(name: "STMModels", targets: ["STMModels"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // The daemon's ledger (SQLite in WAL mode) and its configuration file.
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        // The logging API the daemon's journald handler plugs into.
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // oneDNN's dnnl_sgemm: the only Debian BLAS that reaches the AVX-512 peak here with no environment
        // variables (../shared/notes/blas-choice.md). It ships no pkg-config file; the modulemap names the libraries.
        .systemLibrary(name: "CDNNL", providers: [.apt(["libdnnl-dev"])]),
        // Hand-written kernels in C: one source compiled for AVX-512, AVX2+FMA and baseline x86-64, chosen at
        // run time. -O3 and no errno from libm so the activation and Adam loops vectorise.
        .target(
            name: "CSTMKernels",
            cSettings: [.unsafeFlags(["-O3", "-fno-math-errno", "-ffp-contract=fast"])]
        ),
        .target(name: "STMTensor", dependencies: ["CDNNL", "CSTMKernels"], swiftSettings: numericSettings),
        .target(name: "STMModels", dependencies: ["STMTensor"], swiftSettings: numericSettings),
        .target(name: "STMText", swiftSettings: strictSettings),
        .target(name: "STMTasks", dependencies: ["STMText", "STMModels", "STMTensor"], swiftSettings: strictSettings),
        // Log monitoring: Drain templates and the DeepLog next-key model (no Foundation in the numeric path).
        .target(name: "STMLogs", dependencies: ["STMModels", "STMTensor"], swiftSettings: numericSettings),
        .target(name: "STMWatcher", swiftSettings: strictSettings),
        // libsystemd: sd_notify, the watchdog, journal writing (sd_journal_sendv) and reading.
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        // Per-stream short-term memory (issue 6): state, window, statistics, drift. Pure values; the daemon persists them.
        .target(name: "STMMemory", dependencies: ["STMTasks"], swiftSettings: strictSettings),
        .target(
            name: "STMDaemon",
            dependencies: [
                "STMWatcher", "STMTasks", "STMMemory", "STMLogs", "STMTensor", "CSystemd", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "TOMLKit", package: "TOMLKit"), .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings),
        .target(name: "STMTesting", dependencies: ["STMTensor", "STMModels"], swiftSettings: strictSettings),
        .executableTarget(
            name: "stmd",
            dependencies: [
                "STMTensor", "STMModels", "STMText", "STMTasks", "STMWatcher", "STMDaemon", "STMMemory", "STMLogs",
                .product(name: "ArgumentParser", package: "swift-argument-parser"), .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "stmd-bench", dependencies: ["STMTensor", "STMModels"], path: "Benchmarks/EngineBench",
            swiftSettings: numericSettings),
        .executableTarget(
            name: "stmd-memory-bench",
            dependencies: ["STMDaemon", "STMTasks", "STMTensor", .product(name: "Logging", package: "swift-log")],
            path: "Benchmarks/memory/MemoryBench",
            swiftSettings: strictSettings),
        .executableTarget(
            name: "stmd-logs-bench", dependencies: ["STMLogs", "STMTensor"], path: "Benchmarks/logs/LogsBench",
            swiftSettings: numericSettings),
        .testTarget(name: "STMLogsTests", dependencies: ["STMLogs", "STMTesting"], swiftSettings: strictSettings),
        .testTarget(name: "STMTextTests", dependencies: ["STMText"], swiftSettings: strictSettings),
        .testTarget(
            name: "STMTasksTests", dependencies: ["STMTasks", "STMTesting"], swiftSettings: strictSettings),
        .testTarget(
            name: "StmdCLITests", dependencies: ["STMTasks", "STMTesting"], swiftSettings: strictSettings),
        .testTarget(name: "STMMemoryTests", dependencies: ["STMMemory", "STMTasks"], swiftSettings: strictSettings),
        .testTarget(name: "STMWatcherTests", dependencies: ["STMWatcher", "STMTesting"], swiftSettings: strictSettings),
        .testTarget(
            name: "STMDaemonTests",
            dependencies: [
                "STMDaemon", "STMTesting", "CSystemd", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings),
        .testTarget(name: "STMTensorTests", dependencies: ["STMTensor", "STMTesting"], swiftSettings: strictSettings),
        .testTarget(
            name: "STMModelsTests",
            dependencies: ["STMModels", "STMTensor", "STMTesting"],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
