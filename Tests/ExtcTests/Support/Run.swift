import Foundation

/// What a finished process printed and returned.
struct Finished {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// Runs programs with a time bound; a program still running at the bound is killed and reported.
enum Run {
    static func extc(_ args: [String], cwd: String? = nil, stdin: String? = nil, timeout: TimeInterval = 60) -> Finished {
        program(Paths.extc, args, cwd: cwd, stdin: stdin, timeout: timeout)
    }

    static func program(_ path: String, _ args: [String], cwd: String? = nil, stdin: String? = nil,
                        environment: [String: String]? = nil, timeout: TimeInterval = 60) -> Finished {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        if let environment { p.environment = environment }
        let out = Pipe(), err = Pipe(), input = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = input
        let outData = Collector(out.fileHandleForReading), errData = Collector(err.fileHandleForReading)
        do { try p.run() } catch { return Finished(status: -1, stdout: "", stderr: "cannot run \(path): \(error)") }
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try? input.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning, Date() < deadline { usleep(2_000) }
        if p.isRunning {
            p.terminate()
            p.waitUntilExit()
            return Finished(status: -2, stdout: outData.text, stderr: "TIMED OUT after \(timeout)s\n" + errData.text)
        }
        p.waitUntilExit()
        return Finished(status: p.terminationStatus, stdout: outData.finish(), stderr: errData.finish())
    }

    /// Finds a tool on PATH or in the CI virtualenv.
    static func which(_ tool: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let dirs = ["\(Paths.packageRoot)/.venv-ci/bin", "\(Paths.packageRoot)/.venv/bin"] + path.split(separator: ":").map(String.init)
        return dirs.map { "\($0)/\(tool)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// In CI a missing external tool is a failure, not a skip.
    static var inCI: Bool { ProcessInfo.processInfo.environment["CI"] != nil }
}

/// Collects a pipe's bytes on a thread of its own (blocking reads until EOF) while the process runs.
final class Collector: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        let fd = handle.fileDescriptor
        Thread.detachNewThread { [self] in
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0, errno == EINTR { continue }
                if n <= 0 { break }
                lock.lock()
                data.append(contentsOf: buffer[0..<n])
                lock.unlock()
            }
            done.signal()
        }
    }

    var text: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: data, as: UTF8.self)
    }

    /// Everything, once the writer has closed the pipe (the process has exited).
    func finish() -> String {
        _ = done.wait(timeout: .now() + 10)
        return text
    }
}
