// swift-tools-version:6.1
import CompilerPluginSupport
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("NonisolatedNonsendingByDefault"),
]

// The @SocketNamespace macro is expanded by a compiler plugin built on swift-syntax. A
// release build compiles swift-syntax with optimizations, which takes minutes on a small
// machine; FLAGON_MACRO_PLUGIN=/absolute/path/to/FlagonMacrosPlugin-tool (a plugin built
// beforehand, e.g. by `swift build`) makes the targets that use the macro load that plugin
// instead, so that swift-syntax is not compiled again (scripts/release-build does this).
let prebuiltMacroPlugin = Context.environment["FLAGON_MACRO_PLUGIN"]
let macroUserSettings: [SwiftSetting] = prebuiltMacroPlugin.map {
    swiftSettings + [.unsafeFlags(["-load-plugin-executable", "\($0)#FlagonMacrosPlugin"])]
} ?? swiftSettings

var package = Package(
    name: "Flagon",
    products: [
        .library(name: "Flagon", targets: ["Flagon"]),
        .library(name: "FlagonHTTP", targets: ["FlagonHTTP"]),
        .library(name: "FlagonJSON", targets: ["FlagonJSON"]),
        .library(name: "FlagonMessagePack", targets: ["FlagonMessagePack"]),
        .library(name: "FlagonLoop", targets: ["FlagonLoop"]),
        .library(name: "FlagonCompression", targets: ["FlagonCompression"]),
        .library(name: "FlagonTLS", targets: ["FlagonTLS"]),
        .library(name: "FlagonTesting", targets: ["FlagonTesting"]),
        .library(name: "FlagonSocketIO", targets: ["FlagonSocketIO", "FlagonSocketIOCore"]),
        .library(name: "FlagonMacros", targets: ["FlagonMacros"]),
        .library(name: "FlagonRedisAdapter", targets: ["FlagonRedisAdapter"]),
        .executable(name: "demo", targets: ["Demo"]),
        .executable(name: "conformance-server", targets: ["ConformanceServer"]),
        .executable(name: "bench", targets: ["Bench"]),
        .executable(name: "flagon-emit", targets: ["FlagonEmit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swiftlang/swift-syntax", from: "603.0.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibUV",
            pkgConfig: "libuv",
            providers: [.apt(["libuv1-dev"])]
        ),
        .systemLibrary(
            name: "CCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(
            name: "CSSL",
            pkgConfig: "libssl",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(
            name: "CCrypt",
            pkgConfig: "libcrypt",
            providers: [.apt(["libcrypt-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .target(name: "FlagonLoop", dependencies: ["CLibUV"], swiftSettings: swiftSettings),
        .target(name: "FlagonCompression", dependencies: ["CZlib"], swiftSettings: swiftSettings),
        .target(name: "FlagonTLS", dependencies: ["CSSL", "FlagonLoop"], swiftSettings: swiftSettings),
        .target(name: "FlagonJSON", swiftSettings: swiftSettings),
        .target(name: "FlagonMessagePack", swiftSettings: swiftSettings),
        .target(name: "FlagonHTTP", swiftSettings: swiftSettings),
        .target(name: "FlagonSocketIOCore", dependencies: ["FlagonHTTP", "FlagonJSON", "FlagonMessagePack"], swiftSettings: swiftSettings),
        .target(
            name: "FlagonSocketIO",
            dependencies: ["Flagon", "FlagonHTTP", "FlagonJSON", "FlagonLoop", "FlagonMessagePack", "FlagonSocketIOCore"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Flagon",
            dependencies: [
                "FlagonHTTP", "FlagonJSON", "FlagonLoop", "FlagonCompression", "FlagonTLS", "CCrypto", "CCrypt",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // @SocketNamespace: the declarations, and the compiler plugin that expands them.
        // Nothing of the core depends on these.
        .macro(
            name: "FlagonMacrosPlugin",
            dependencies: [
                .product(name: "SwiftSyntax", package: "swift-syntax"),
                .product(name: "SwiftSyntaxMacros", package: "swift-syntax"),
                .product(name: "SwiftCompilerPlugin", package: "swift-syntax"),
                .product(name: "SwiftDiagnostics", package: "swift-syntax"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FlagonMacros",
            dependencies: (prebuiltMacroPlugin == nil ? ["FlagonMacrosPlugin"] : []) + ["FlagonSocketIO"],
            // With a prebuilt plugin, the macros' declarations name it too (no "plugin not found").
            swiftSettings: macroUserSettings
        ),
        // The Redis adapter (Adapters/Redis): @socket.io/redis-adapter's protocol. Nothing of the core depends on it.
        .target(
            name: "FlagonRedisAdapter",
            dependencies: ["FlagonJSON", "FlagonMessagePack", "FlagonSocketIOCore", "FlagonSocketIO", "FlagonTLS"],
            path: "Adapters/Redis/Sources/FlagonRedisAdapter",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "FlagonEmit", dependencies: ["FlagonRedisAdapter", "FlagonJSON"], path: "Adapters/Redis/Sources/FlagonEmit",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FlagonTesting",
            dependencies: ["Flagon", "FlagonLoop", "FlagonHTTP", "FlagonJSON", "FlagonSocketIOCore", "FlagonCompression"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "DemoApp",
            dependencies: ["Flagon", "FlagonSocketIO", "FlagonMacros"],
            path: "Examples/DemoApp",
            exclude: ["static"],
            swiftSettings: macroUserSettings
        ),
        .executableTarget(
            name: "ConformanceServer", dependencies: ["ConformanceApp", "Flagon", "FlagonRedisAdapter"], path: "Examples/ConformanceServer",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ConformanceApp", dependencies: ["Flagon", "FlagonSocketIO", "FlagonJSON", "FlagonLoop", "FlagonMacros"],
            path: "Examples/ConformanceApp", swiftSettings: macroUserSettings
        ),
        .executableTarget(
            name: "Bench",
            dependencies: ["FlagonJSON", "Flagon", "FlagonSocketIO", "FlagonLoop", "FlagonSocketIOCore", "FlagonHTTP", "FlagonMacros",
                           "FlagonRedisAdapter", "FlagonCompression", "FlagonTLS"],
            path: "Benchmarks/bench", swiftSettings: macroUserSettings
        ),
        .executableTarget(
            name: "Demo", dependencies: ["DemoApp", "Flagon", "FlagonRedisAdapter"], path: "Examples/Demo", swiftSettings: swiftSettings
        ),
        .testTarget(name: "FlagonJSONTests", dependencies: ["FlagonJSON"], swiftSettings: swiftSettings),
        .testTarget(name: "FlagonCompressionTests", dependencies: ["FlagonCompression"], swiftSettings: swiftSettings),
        .testTarget(
            name: "FlagonRedisAdapterTests",
            dependencies: ["FlagonRedisAdapter", "FlagonJSON", "FlagonLoop", "FlagonMessagePack", "FlagonSocketIOCore", "FlagonSocketIO"],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "FlagonMessagePackTests", dependencies: ["FlagonMessagePack"], swiftSettings: swiftSettings),
        .testTarget(name: "FlagonHTTPTests", dependencies: ["FlagonHTTP"], swiftSettings: swiftSettings),
        .testTarget(name: "FlagonSocketIOCoreTests", dependencies: ["FlagonSocketIOCore", "FlagonMessagePack"], swiftSettings: swiftSettings),
        .testTarget(
            name: "FlagonSocketIOTests",
            dependencies: [
                "FlagonSocketIO", "FlagonSocketIOCore", "Flagon", "FlagonTesting", "FlagonLoop", "ConformanceApp", "FlagonMacros",
                "FlagonCompression",
            ],
            swiftSettings: macroUserSettings
        ),
        .testTarget(
            name: "FlagonMacrosTests",
            dependencies: [
                "FlagonMacrosPlugin",
                .product(name: "SwiftSyntaxMacrosGenericTestSupport", package: "swift-syntax"),
                .product(name: "SwiftSyntaxMacroExpansion", package: "swift-syntax"),
            ],
            swiftSettings: swiftSettings
        ),
        // Real peers (Python clients, Autobahn, Chromium) against the built executables;
        // skipped where their tools are missing unless FLAGON_REQUIRE_INTEROP=1.
        .testTarget(
            name: "FlagonInteropTests",
            dependencies: ["FlagonLoop", "FlagonTesting", "FlagonRedisAdapter", "FlagonSocketIO", "Flagon", "FlagonJSON", "FlagonTLS"], swiftSettings: swiftSettings
        ),
        .testTarget(name: "FlagonLoopTests", dependencies: ["FlagonLoop"], swiftSettings: swiftSettings),
        .testTarget(name: "FlagonTLSTests", dependencies: ["FlagonTLS", "FlagonLoop"], swiftSettings: swiftSettings),
        .testTarget(name: "FlagonTests", dependencies: ["Flagon", "FlagonTesting", "FlagonLoop", "DemoApp"], swiftSettings: swiftSettings),
    ]
)

// libFuzzer targets (scripts/fuzz): only in fuzzing builds, which add -sanitize=fuzzer.
if Context.environment["FLAGON_FUZZ"] != nil {
    package.products.append(.executable(name: "flagon-fuzz", targets: ["FlagonFuzz"]))
    package.targets.append(.executableTarget(
        name: "FlagonFuzz",
        dependencies: [
            "Flagon", "FlagonHTTP", "FlagonJSON", "FlagonLoop", "FlagonMessagePack", "FlagonRedisAdapter", "FlagonSocketIOCore",
            "FlagonTLS",
        ],
        path: "Fuzz/Sources/FlagonFuzz",
        swiftSettings: swiftSettings + [.unsafeFlags(["-parse-as-library"])]
    ))
}
