/// The libFuzzer entry point: `FLAGON_FUZZ_TARGET` names the target (see ``FuzzTarget``);
/// every other argument is libFuzzer's. Built by `scripts/fuzz` with
/// `-sanitize=fuzzer,address`; SwiftPM links executables with `main` defined as this
/// module's `FlagonFuzz_main`, which hands control to libFuzzer's driver.

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

@_silgen_name("getenv")
func getenv(_ name: UnsafePointer<CChar>) -> UnsafeMutablePointer<CChar>?

// nonisolated(unsafe): set once in FlagonFuzz_main before libFuzzer starts, then only read by
// libFuzzer's one thread.
nonisolated(unsafe) var selectedTarget: FuzzTarget = .http

@_cdecl("FlagonFuzz_main")
func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    if argc > 1, String(cString: argv[1]!) == "--list" {
        for target in FuzzTarget.allCases { print(target.rawValue) }
        return 0
    }
    guard let name = getenv("FLAGON_FUZZ_TARGET").map({ String(cString: $0) }), let target = FuzzTarget(rawValue: name) else {
        print("set FLAGON_FUZZ_TARGET to one of: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))")
        return 2
    }
    selectedTarget = target
    var count = argc
    var arguments: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { data, size in
        let input = UnsafeBufferPointer(start: data, count: size)
        selectedTarget.run(Array(input))
        return 0
    }
}

/// Stops the run with a message: libFuzzer saves the input that caused it.
func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("invariant broken: \(message())") }
}
