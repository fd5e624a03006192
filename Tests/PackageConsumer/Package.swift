// swift-tools-version:6.1
// A package that uses Flagon as an app would, by path: its test is the public API's contract
// (scripts/test runs it with `swift test --package-path Tests/PackageConsumer`).
import PackageDescription

// A path dependency is known by the name of its folder, whatever the clone is called.
let flagonPath = "../.."
let flagonIdentity = Context.packageDirectory.split(separator: "/").dropLast(2).last.map(String.init) ?? "flagon"

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
    ]
)
