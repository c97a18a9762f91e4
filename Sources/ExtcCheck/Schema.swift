// The language's blocks and their fields, read from the checker's own field tables, so the README,
// the grammar and the editor grammar can be tested against what the checker accepts.

public enum Schema {
    /// Each block and its field names, in table order.
    public static let blocks: [(block: String, fields: [String])] = [
        ("apiserver", ServerChecker.fields.names),
        ("resource", ServerChecker.resourceFields.names),
        ("storage", ServerChecker.storageFields.names),
        ("certs", ServerChecker.certFields.names),
    ]
}
