// swift-tools-version:6.1
// A package that uses Flagon as an app would, by path: its test is the public API's contract
// (scripts/test runs it with `swift test --package-path Tests/PackageConsumer`), and each
// Swift snippet of the README is one of its executables (ReadmeSnippets/, written by
// scripts/readme-snippets), so that building it compiles them as they are printed.
import PackageDescription

// A path dependency is known by the name of its folder, whatever the clone is called.
let flagonPath = "../.."
let flagonIdentity = Context.packageDirectory.split(separator: "/").dropLast(2).last.map(String.init) ?? "flagon"

// How many Swift snippets the README has: scripts/readme-snippets writes them to ReadmeSnippets/
// (run it first) and keeps this number right.
let readmeSnippetCount = 12
let snippetNames = (1...readmeSnippetCount).map { "ReadmeSnippet\($0)" }
let snippetTargets: [Target] = snippetNames.map { name in
    .executableTarget(
        name: name,
        dependencies: [
            .product(name: "Flagon", package: flagonIdentity),
            .product(name: "FlagonSocketIO", package: flagonIdentity),
            .product(name: "FlagonTesting", package: flagonIdentity),
            .product(name: "FlagonMacros", package: flagonIdentity),
            .product(name: "FlagonRedisAdapter", package: flagonIdentity),
        ],
        path: "ReadmeSnippets/" + name,
        swiftSettings: [.swiftLanguageMode(.v6)]
    )
}

let package = Package(
    name: "PackageConsumer",
    dependencies: [.package(path: flagonPath)],
    targets: [
        .testTarget(
            name: "PackageConsumerTests",
            dependencies: [
                .product(name: "Flagon", package: flagonIdentity),
                .product(name: "FlagonSocketIO", package: flagonIdentity),
                .product(name: "FlagonTesting", package: flagonIdentity),
                .product(name: "FlagonMacros", package: flagonIdentity),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        )
    ] + snippetTargets
)
