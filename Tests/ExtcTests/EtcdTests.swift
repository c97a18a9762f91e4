import ExtcCheck
import ExtcEmit
import ExtcLower
import Foundation
import Testing

/// A real etcd (Debian's etcd-server, installed by .ci/run) run with exactly the generated etcd
/// args and the generated certificate files. Only what the kubelet would do is done to them:
/// each volume's mount path becomes a directory in a temp dir (Secrets and projected Secrets
/// written out item by item), `$(POD_NAME)` is expanded, and a cluster member's wildcard listen
/// address becomes its own loopback address. Cluster DNS names resolve through an /etc/hosts
/// bind-mounted in a private mount namespace (`unshare -m`), never the machine's own.
@Suite(.serialized)
struct EtcdTests {
    static let etcd = Run.which("etcd")
    static let etcdctl = Run.which("etcdctl")
    static let unshare = Run.which("unshare")

    static func available() -> Bool {
        ExternalTests.require(etcd, "etcd (etcd-server)") && ExternalTests.require(etcdctl, "etcdctl (etcd-client)")
            && ExternalTests.require(unshare, "unshare (util-linux)")
    }

    @Test("sidecar: the generated client certificate can put and get; no certificate, or another CA's, is refused")
    func sidecar() throws {
        guard Self.available() else { return }
        let cluster = try LocalCluster(sample: "\(Paths.samples)/wardle.ext", addresses: ["127.0.0.1"])
        defer { cluster.stop() }
        #expect(cluster.members.count == 1 && cluster.endpoint == "https://127.0.0.1:2379")
        try cluster.start()
        let put = cluster.etcdctl(["put", "/registry/wardle.example.com/flunders/x", "stored"])
        #expect(put.status == 0 && put.stdout.contains("OK"), "\(put.stderr)")
        let get = cluster.etcdctl(["get", "/registry/wardle.example.com/flunders/x", "--print-value-only"])
        #expect(get.stdout == "stored\n", "\(get.stderr)")
        #expect(cluster.etcdctl(["get", "x"], client: .none).status != 0, "a client without a certificate got in")
        let stranger = try LocalCluster(sample: "\(Paths.samples)/wardle.ext", addresses: ["127.0.0.1"])  // fresh state: another etcd CA
        defer { stranger.stop() }
        #expect(cluster.etcdctl(["get", "x"], client: .other(stranger)).status != 0, "a client of another CA got in")
        for path in cluster.probePaths { #expect(cluster.httpStatus(cluster.members[0], path) == 200, "probe \(path)") }
    }

    @Test("cluster: three members form a cluster with the generated peer certificates; the server's URL reaches them")
    func threeMembers() throws {
        guard Self.available() else { return }
        let cluster = try LocalCluster(sample: "\(Paths.samples)/cluster/wardle.ext", addresses: ["127.0.0.2", "127.0.0.3", "127.0.0.4"])
        defer { cluster.stop() }
        #expect(cluster.members.map(\.name) == ["wardle-etcd-0", "wardle-etcd-1", "wardle-etcd-2"])
        #expect(cluster.endpoint == "https://wardle-etcd-client.wardle.svc:2379")
        try cluster.start()
        let health = cluster.etcdctl(["endpoint", "health", "--cluster"])
        #expect(health.status == 0, "\(health.stdout)\(health.stderr)")
        #expect((health.stdout + health.stderr).components(separatedBy: "is healthy").count - 1 == 3, "\(health.stdout)\(health.stderr)")
        let members = cluster.etcdctl(["member", "list"])
        #expect(members.stdout.split(separator: "\n").count == 3 && !members.stdout.contains("unstarted"), "\(members.stdout)")
        #expect(cluster.etcdctl(["put", "/registry/wardle.example.com/k", "v"]).status == 0)
        let get = cluster.etcdctl(["get", "/registry/wardle.example.com/k", "--print-value-only", "--consistency=l"])
        #expect(get.stdout == "v\n", "\(get.stderr)")
        #expect(cluster.etcdctl(["get", "k"], client: .none).status != 0, "a client without a certificate got in")
        for m in cluster.members { for path in cluster.probePaths { #expect(cluster.httpStatus(m, path) == 200, "\(m.name) \(path)") } }
    }
}

/// The etcd members and the API server's client side of one generated spec, laid out on disk.
final class LocalCluster: @unchecked Sendable {
    struct Member {
        let name: String
        let address: String
        let args: [String]
    }

    enum Client {
        case generated, none
        case other(LocalCluster)
    }

    let dir: String
    let state: String
    let members: [Member]
    /// The API server's `--etcd-servers`, `--etcd-cafile`, `--etcd-certfile`, `--etcd-keyfile`.
    let endpoint: String
    let ca: String, cert: String, key: String
    let hosts: String
    let probePaths: [String]
    private var processes: [Process] = []

    init(sample: String, addresses: [String]) throws {
        dir = Paths.temporaryDirectory("extc-etcd")
        state = "\(dir)/state"
        let r = Run.extc(["build", sample, "--state", state])
        guard r.status == 0 else { throw Failure("build failed: \(r.stderr)") }
        let docs = try YAMLReader.read(r.stdout)
        let secrets = Dictionary(uniqueKeysWithValues: docs.filter { $0["kind"] == "Secret" }.map { ($0.at("metadata.name")!.stringValue!, $0) })
        let workloads = docs.filter { $0["kind"] == "Deployment" || $0["kind"] == "StatefulSet" }
        let pods = workloads.compactMap { $0.at("spec.template.spec") }
        let containers = pods.flatMap { pod in ((pod["containers"]?.listValue ?? []) + (pod["initContainers"]?.listValue ?? [])).map { (pod, $0) } }
        guard let (etcdPod, etcd) = containers.first(where: { $0.1["name"] == "etcd" }),
              let (serverPod, server) = containers.first(where: { $0.1["name"] == "apiserver" }) else { throw Failure("no etcd or apiserver container") }
        let replicas = workloads.first { $0["kind"] == "StatefulSet" }?.at("spec.replicas")?.intValue ?? 1
        let names = replicas == 1 && workloads.count == 1 ? [Self.flag(etcd, "--name")!] : (0..<replicas).map { "wardle-etcd-\($0)" }
        var members: [Member] = []
        for (i, name) in names.enumerated() {
            let root = "\(dir)/\(name)"
            let paths = try Self.materialize(etcd, pod: etcdPod, secrets: secrets, under: root)
            let args = (etcd["command"]?.listValue ?? []).dropFirst().compactMap(\.stringValue).map { arg in
                Self.map(arg.replacingOccurrences(of: "$(POD_NAME)", with: name).replacingOccurrences(of: "0.0.0.0", with: addresses[i]), paths)
            }
            members.append(Member(name: name, address: addresses[i], args: args))
        }
        self.members = members
        let client = try Self.materialize(server, pod: serverPod, secrets: secrets, under: "\(dir)/apiserver")
        func mapped(_ flag: String) -> String { Self.map(Self.flag(server, flag) ?? "", client) }
        endpoint = mapped("--etcd-servers")
        ca = mapped("--etcd-cafile"); cert = mapped("--etcd-certfile"); key = mapped("--etcd-keyfile")
        probePaths = ["startupProbe", "readinessProbe", "livenessProbe"].compactMap { etcd.at("\($0).httpGet.path")?.stringValue }
        // Each member's stable name (and the client Service, standing in for kube-proxy) resolves
        // to a loopback address, as cluster DNS would to a pod.
        var lines = (Paths.read("/etc/hosts").split(separator: "\n").map(String.init))
        for m in members { lines.append("\(m.address) \(m.name).wardle-etcd.wardle.svc \(m.name).wardle-etcd.wardle.svc.cluster.local") }
        lines.append("\(addresses[0]) wardle-etcd-client.wardle.svc")
        hosts = "\(dir)/hosts"
        Paths.write(lines.joined(separator: "\n") + "\n", to: hosts)
    }

    struct Failure: Error, CustomStringConvertible { let description: String; init(_ d: String) { description = d } }

    /// `--flag=/mount/path/file` (or a bare path) with the mount path replaced by its local
    /// directory, once, by the longest mount path that contains it.
    static func map(_ arg: String, _ paths: [(String, String)]) -> String {
        let (head, value) = arg.hasPrefix("--") && arg.contains("=")
            ? (String(arg.prefix { $0 != "=" }) + "=", String(arg.drop { $0 != "=" }.dropFirst())) : ("", arg)
        for (mount, local) in paths where value == mount || value.hasPrefix(mount + "/") {
            return head + local + value.dropFirst(mount.count)
        }
        return arg
    }

    /// A flag's value from a container's command and args.
    static func flag(_ container: Node, _ name: String) -> String? {
        ((container["command"]?.listValue ?? []) + (container["args"]?.listValue ?? [])).compactMap(\.stringValue).first { $0.hasPrefix(name + "=") }.map { String($0.dropFirst(name.count + 1)) }
    }

    /// Writes each mounted volume of `container` under `root`: Secret and projected-Secret files
    /// item by item (mode 0600), other volumes as empty directories. Returns mount path -> local path,
    /// longest mount path first so that no path is replaced inside a longer one.
    static func materialize(_ container: Node, pod: Node, secrets: [String: Node], under root: String) throws -> [(String, String)] {
        let volumes = pod["volumes"]?.listValue ?? []
        var out: [(String, String)] = []
        for mount in container["volumeMounts"]?.listValue ?? [] {
            let name = mount["name"]!.stringValue!, path = mount["mountPath"]!.stringValue!
            let local = "\(root)/\(name)"
            try FileManager.default.createDirectory(atPath: local, withIntermediateDirectories: true)
            let volume = volumes.first { $0["name"]?.stringValue == name }
            var items: [(secret: String, key: String, path: String)] = []
            if let s = volume?.at("secret.secretName")?.stringValue {
                items = ["ca.crt", "tls.crt", "tls.key"].map { (s, $0, $0) }
            }
            for source in volume?.at("projected.sources")?.listValue ?? [] {
                let s = source.at("secret.name")!.stringValue!
                items += (source.at("secret.items")?.listValue ?? []).map { (s, $0["key"]!.stringValue!, $0["path"]!.stringValue!) }
            }
            for item in items {
                guard let text = secrets[item.secret]?.at("data")?[item.key]?.stringValue, let data = Data(base64Encoded: text) else {
                    throw Failure("Secret \(item.secret) has no \(item.key)")
                }
                _ = FileManager.default.createFile(atPath: "\(local)/\(item.path)", contents: data, attributes: [.posixPermissions: 0o600])
            }
            out.append((path, local))
        }
        return out.sorted { $0.0.count > $1.0.count }
    }

    /// Runs `program` with the cluster's /etc/hosts in a private mount namespace.
    func inNamespace(_ program: String, _ args: [String]) -> [String] {
        [EtcdTests.unshare!, "-m", "sh", "-c", "mount --bind \"$0\" /etc/hosts && exec \"$@\"", hosts, program] + args
    }

    func start() throws {
        for m in members where HTTP.status(host: m.address, port: UInt16(EtcdTopology.clientPort), path: "/") != 0 {
            throw Failure("something already listens on \(m.address):\(EtcdTopology.clientPort); stop it (a stray etcd?) and run again")
        }
        for m in members {
            let p = Process()
            let command = inNamespace(EtcdTests.etcd!, m.args)
            p.executableURL = URL(fileURLWithPath: command[0])
            p.arguments = Array(command.dropFirst())
            _ = FileManager.default.createFile(atPath: "\(dir)/\(m.name).log", contents: nil)
            p.standardError = FileHandle(forWritingAtPath: "\(dir)/\(m.name).log")
            p.standardOutput = FileHandle.nullDevice
            try p.run()
            processes.append(p)
        }
        let deadline = Date().addingTimeInterval(60)
        var last = Finished(status: -1, stdout: "", stderr: "")
        while Date() < deadline {
            last = etcdctl(["endpoint", "health"])
            if last.status == 0 { return }
            if processes.contains(where: { !$0.isRunning }) { break }
            usleep(200_000)
        }
        let logs = members.map { "\($0.name):\n" + Paths.read("\(dir)/\($0.name).log").suffix(3000) }.joined(separator: "\n")
        throw Failure("etcd did not become healthy: etcdctl said \(last.stdout)\(last.stderr)\n\(logs)")
    }

    /// etcdctl as the API server connects: its endpoint, CA, certificate and key.
    func etcdctl(_ args: [String], client: Client = .generated) -> Finished {
        var flags = ["--endpoints=\(endpoint)", "--cacert=\(ca)", "--dial-timeout=3s", "--command-timeout=5s"]
        switch client {
        case .generated: flags += ["--cert=\(cert)", "--key=\(key)"]
        case .none: break
        case .other(let o): flags += ["--cert=\(o.cert)", "--key=\(o.key)"]
        }
        let command = inNamespace(EtcdTests.etcdctl!, flags + args)
        return Run.program(command[0], Array(command.dropFirst()), environment: ["ETCDCTL_API": "3", "PATH": "/usr/bin:/bin"], timeout: 30)
    }

    /// The kubelet's httpGet probe: GET on the member's metrics port.
    func httpStatus(_ m: Member, _ path: String) -> Int {
        let port = m.args.first { $0.hasPrefix("--listen-metrics-urls=") }.flatMap { $0.split(separator: ":").last }.flatMap { Int($0) } ?? 0
        return HTTP.status(host: m.address, port: UInt16(port), path: path)
    }

    /// Kills every member (whatever Process thinks of it: a member that outlived a failed test
    /// would hold the ports for the next run), then removes the files.
    func stop() {
        for p in processes { kill(p.processIdentifier, SIGKILL) }
        for p in processes { p.waitUntilExit() }
        processes = []
        Paths.cleanUp(dir)
    }
}

/// A minimal HTTP/1.0 GET, for probes: the status code, or 0 when nothing answers.
enum HTTP {
    static func status(host: String, port: UInt16, path: String) -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr(host)
        addr.sin_port = port.bigEndian
        let connected = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else { return 0 }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: \(host)\r\n\r\n".utf8)
        guard write(fd, request, request.count) == request.count else { return 0 }
        var buffer = [UInt8](repeating: 0, count: 64)
        let n = read(fd, &buffer, buffer.count)
        guard n > 12 else { return 0 }
        return Int(String(decoding: buffer[9..<12], as: UTF8.self)) ?? 0
    }
}
