// libFuzzer entry point over the front end: lexer, parser, checker, renderer and the fmt round trip.
// Built by Fuzz/build.sh together with the ExtcSyntax and ExtcCheck sources.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let (syntax, diagnostics) = Parser.parse(SourceFile(path: "fuzz.ext", bytes: bytes))
    _ = DiagnosticRenderer().render(diagnostics)
    _ = Checker.check([syntax])
    if !diagnostics.contains(where: \.isError) {
        let once = Printer.format(syntax)
        let (again, reparsed) = Parser.parse(SourceFile(path: "fuzz.ext", text: once))
        precondition(reparsed.isEmpty, "formatted output does not reparse")
        precondition(again.dump == syntax.dump, "fmt changed the tree")
        precondition(Printer.format(again) == once, "fmt is not idempotent")
    }
    return 0
}
