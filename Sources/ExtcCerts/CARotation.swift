import ExtcCheck
import ExtcSyntax
#if canImport(Glibc)
import Glibc
#endif

/// Two-phase rotation of a generated serving CA. Swapping the CA in one step is an outage: the
/// APIService's caBundle changes at once, but running pods serve their old certificate until the
/// kubelet refreshes the mounted Secret and the server reloads it, and in that window the
/// aggregator rejects them. So the rotation goes in three builds, recorded in `<dir>/rotation`:
///
///     phase 1  `extc certs --rotate all`: the new CA waits in ca-next.{crt,key}; the caBundle
///              holds the current CA and the next; the serving certificate is still the current's.
///     phase 2  the first build once `grace` has passed: the next CA becomes current (the old one
///              waits in ca-previous.*), the serving certificate is re-issued under it; the
///              caBundle holds both.
///     done     the first build another `grace` later: the previous CA leaves the caBundle and is
///              kept aside as ca.{crt,key}.replaced-<time>.
///
/// Apply each phase's output before the next build: the grace period counts from the build that
/// entered the phase.
public struct RotationRecord: Equatable, Sendable {
    var phase: Int
    /// When the phase began (seconds since the epoch).
    var since: Int
    var grace: Int

    static let file = "rotation"
    /// The default grace period: an hour, well past the kubelet's Secret refresh (about a minute
    /// or two) and k8s.io/apiserver's certificate reload.
    public static let defaultGrace = 3600

    var due: Int { since + grace }

    static func load(_ dir: String) -> RotationRecord? {
        guard let bytes = try? FileIO.read("\(dir)/\(file)") else { return nil }
        var values: [String: Int] = [:]
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let kv = line.split(separator: "=", maxSplits: 1)
            if kv.count == 2, let n = Int(kv[1]) { values[String(kv[0])] = n }
        }
        guard let phase = values["phase"], let since = values["since"], let grace = values["grace"], (1...2).contains(phase) else { return nil }
        return RotationRecord(phase: phase, since: since, grace: grace)
    }

    func save(_ dir: String) throws {
        try FileIO.write("# extc: a two-phase CA rotation in progress (see README, Certificates)\nphase=\(phase)\nsince=\(since)\ngrace=\(grace)\n",
                         to: "\(dir)/\(Self.file)", mode: 0o644)
    }

    static func clear(_ dir: String) throws { try FileIO.remove("\(dir)/\(file)") }
}

extension CertBackend {
    /// The serving CA a build signs with and the caBundle it publishes, advancing a rotation that
    /// is due; `--rotate all` starts one (when there is a CA to rotate from).
    /// Outside a rotation a new CA joins `staged`; inside one it is written at once, as the
    /// rotation's renames work on the files on disk (`StagedFiles`).
    func servingCA(_ server: APIServer, rotate: Rotation, grace: Int, staged: StagedFiles, notes: inout [String]) throws -> (ca: CA, bundle: String) {
        let dir = state.directory(for: server), name = server.name.value
        let now = env.now()
        var record = RotationRecord.load(dir)
        if rotate == .all, record == nil, let current = try? StoredPair.load(certPath: "\(dir)/ca.crt", keyPath: "\(dir)/ca.key"),
           usable(current, server) {
            let next = try newCA(.serving, server)
            _ = try StoredPair.store(cert: next.cert, key: next.key, certPath: "\(dir)/ca-next.crt", keyPath: "\(dir)/ca-next.key", write: !dryRun)
            record = RotationRecord(phase: 1, since: now, grace: grace)
            if !dryRun { try record!.save(dir) }
            notes.append("\(name): started a two-phase CA rotation: the caBundle now holds the current and the next CA; the first build after \(Self.utc(record!.due)) switches the serving certificate to the next CA")
            return (CA(pair: current, fresh: false), current.certPEM + next.pem)
        } else if rotate == .all, let record {
            notes.append("\(name): a CA rotation is already in phase \(record.phase); its next step is due after \(Self.utc(record.due))")
        }
        // A switch to phase 2 cut short between its renames: finish it (each step is idempotent).
        if let r = record, r.phase == 1, !dryRun, FileIO.exists("\(dir)/ca-previous.crt") || FileIO.exists("\(dir)/ca-previous.key") {
            return try switchToNext(dir, server, grace: r.grace, now: now, notes: &notes)
        }
        let current = try generatedCA(.serving, server, rotate: record == nil ? rotate : .none, staged: record == nil ? staged : nil, notes: &notes)
        guard let r = record else { return (current, current.pair.certPEM) }
        switch r.phase {
        case 1:
            guard let next = try StoredPair.load(certPath: "\(dir)/ca-next.crt", keyPath: "\(dir)/ca-next.key") else {
                throw StateProblem(kind: .serving, reason: "the rotation record names ca-next.crt, which is gone", path: dir)
            }
            guard now >= r.due, !dryRun else { return (current, current.pair.certPEM + next.certPEM) }
            return try switchToNext(dir, server, grace: r.grace, now: now, notes: &notes)
        default:
            guard let previous = try StoredPair.load(certPath: "\(dir)/ca-previous.crt", keyPath: "\(dir)/ca-previous.key") else {
                if !dryRun { try RotationRecord.clear(dir) }
                return (current, current.pair.certPEM)
            }
            guard now >= r.due, !dryRun else { return (current, current.pair.certPEM + previous.certPEM) }
            let kept = ["ca.crt.replaced-\(now)", "ca.key.replaced-\(now)"]
            try StoredPair.rename([("ca-previous.crt", kept[0]), ("ca-previous.key", kept[1])], in: dir)
            try RotationRecord.clear(dir)
            notes.append("\(name): CA rotation done: the old CA left the caBundle (kept as \(dir)/\(kept[0]) and \(kept[1]))")
            return (current, current.pair.certPEM)
        }
    }

    /// Phase 1 -> 2: the current CA becomes ca-previous, the next one ca. Each rename is done only
    /// if still to do, so a switch a crash cut short is finished by the next build.
    private func switchToNext(_ dir: String, _ server: APIServer, grace: Int, now: Int, notes: inout [String]) throws -> (ca: CA, bundle: String) {
        for (from, to) in [("ca.crt", "ca-previous.crt"), ("ca.key", "ca-previous.key"), ("ca-next.crt", "ca.crt"), ("ca-next.key", "ca.key")]
        where FileIO.exists("\(dir)/\(from)") && !FileIO.exists("\(dir)/\(to)") {
            try StoredPair.rename([(from, to)], in: dir)
        }
        guard let next = try StoredPair.load(certPath: "\(dir)/ca.crt", keyPath: "\(dir)/ca.key"),
              let previous = try StoredPair.load(certPath: "\(dir)/ca-previous.crt", keyPath: "\(dir)/ca-previous.key") else {
            throw StateProblem(kind: .serving, reason: "a CA rotation's files are incomplete (ca.*, ca-previous.*)", path: dir)
        }
        let r = RotationRecord(phase: 2, since: now, grace: grace)
        try r.save(dir)
        notes.append("\(server.name.value): CA rotation phase 2: the serving certificate moves to the new CA; the caBundle keeps the old one until after \(Self.utc(r.due))")
        return (CA(pair: next, fresh: true), next.certPEM + previous.certPEM)
    }

    /// A stored CA a rotation can start from: its key parses, matches and it is not expiring.
    private func usable(_ ca: StoredPair, _ server: APIServer) -> Bool {
        do { return try caProblem(ca, server) == nil } catch { return false }
    }

    /// The rotation in progress for `server`, for `extc certs`: phase and when the next step is due.
    public func rotationStatus(_ server: APIServer) -> (phase: Int, due: Int)? {
        RotationRecord.load(state.directory(for: server)).map { ($0.phase, $0.due) }
    }

    /// `2026-11-23 12:00:01 UTC`, for notes and `extc certs`.
    public static func utc(_ epoch: Int) -> String {
        var t = time_t(epoch)
        var parts = tm()
        gmtime_r(&t, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday)) \(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) UTC"
    }
}
