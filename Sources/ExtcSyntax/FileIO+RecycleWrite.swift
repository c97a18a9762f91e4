#if canImport(Glibc)
import Glibc
#endif

// The bytes of a `RecycledFile`'s write: which pieces go where in the file it writes over.
extension RecycledFile {
    /// Writes `new` (each piece `newLengths` long) over a file whose pieces were `oldLengths` long:
    /// with `changed` (the places where they may differ, ascending), each of those pieces in
    /// place while it and every piece before it keep their lengths, and from the first that does
    /// not, the rest; without, all of it. Then cuts the file to its new length.
    static func overwrite(_ fd: Int32, lengths oldLengths: [Int], with new: [String], lengths newLengths: [Int], at changed: [Int]?) -> Bool {
        // `offset` is where piece `next` starts, in the old text and the new alike (the pieces
        // before it have their old lengths); `rest`, the piece from which all is written.
        var offset = 0, next = 0
        var rest: Int? = changed == nil ? 0 : nil
        for p in changed ?? [] {
            offset += oldLengths[next..<p].reduce(0, +)
            next = p
            guard oldLengths[p] == newLengths[p] else { rest = p; break }
            guard write(new[p], to: fd, at: offset) else { return false }
            offset += newLengths[p]
            next = p + 1
        }
        if let rest, rest < new.count {
            guard lseek(fd, off_t(offset), SEEK_SET) == off_t(offset), FileIO.writeAll(fd, pieces: new[rest...]) else { return false }
        }
        let total = newLengths.reduce(0, +)
        var st = stat()
        return fstat(fd, &st) == 0 && (Int(st.st_size) == total || ftruncate(fd, off_t(total)) == 0)
    }

    /// Each piece's length in bytes.
    static func lengths(_ pieces: [String]) -> [Int] { pieces.map { $0.utf8.count } }

    /// One piece at `offset`, every byte (retrying on EINTR); false on any error.
    fileprivate static func write(_ piece: String, to fd: Int32, at offset: Int) -> Bool {
        var piece = piece
        return piece.withUTF8 { bytes in
            var done = 0
            while done < bytes.count {
                let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { return false }
                done += n
            }
            return true
        }
    }
}
