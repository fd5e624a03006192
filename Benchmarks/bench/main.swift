// `swift run -c release bench [scenario]`: Flagon's benchmarks.
#if DEBUG
print("WARNING: this is a debug build; figures are meaningless. Use `swift run -c release bench`.")
#endif

let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "json":
    JSONBenchmark.run()
default:
    JSONBenchmark.run()
}
