/// Every diagnostic extc can report. Codes are stable: never renumber or reuse one.
///
/// E00xx syntax, E01xx checker, E03xx certificates, E09xx internal (a bug in extc), W00xx warnings.
public enum DiagnosticCode: String, Sendable, CaseIterable, Comparable {
    // Syntax
    case invalidCharacter = "E0001"
    case unterminatedString = "E0002"
    case invalidEscape = "E0003"
    case unexpectedToken = "E0004"
    case unclosedBlock = "E0005"
    case unmatchedBrace = "E0006"
    case nestingTooDeep = "E0007"
    case invalidUTF8 = "E0008"
    // Checker
    case unknownKeyword = "E0100"
    case unknownField = "E0101"
    case duplicateField = "E0102"
    case missingField = "E0103"
    case wrongArity = "E0104"
    case invalidValue = "E0105"
    case blockMismatch = "E0106"
    case invalidLabelName = "E0110"
    case invalidSubdomain = "E0111"
    case invalidServiceName = "E0112"
    case groupWithoutDot = "E0113"
    case invalidVersion = "E0114"
    case builtinGroup = "E0115"
    case apiServiceNameTooLong = "E0116"
    case unknownVerb = "E0117"
    case duplicateResource = "E0118"
    case duplicateVersion = "E0119"
    case duplicateServer = "E0120"
    case outOfRange = "E0121"
    case invalidImage = "E0122"
    case leafOutlivesCA = "E0123"
    case argDisablesDelegatedAuth = "E0124"
    case argConflictsWithManaged = "E0125"
    case invalidDuration = "E0126"
    case invalidQuantity = "E0127"
    case invalidMetadata = "E0128"
    case invalidEnvName = "E0129"
    case duplicateAPIService = "E0130"
    case duplicateService = "E0131"
    case reservedLabel = "E0132"
    case unsupportedLibrary = "E0133"
    case sidecarReplicas = "E0134"
    case storageFieldForMode = "E0135"
    case storageServerName = "E0136"
    case nameTooLongForCertificate = "E0137"
    case duplicateObject = "E0138"
    // Certificates
    case openSSLFailure = "E0300"
    case caFileUnreadable = "E0301"
    case caKeyEncrypted = "E0302"
    case caNotCA = "E0303"
    case caKeyMismatch = "E0304"
    case caTooShort = "E0305"
    case stateUnusable = "E0306"
    case configFileUnreadable = "E0307"
    case stateCAUnusable = "E0308"
    case stateOwnedByOtherSpec = "E0309"
    case noPublicState = "E0310"
    // Internal
    case internalInvariant = "E0900"
    // Warnings
    case unpinnedImage = "W0001"
    case wildcardVerb = "W0002"
    case wellKnownGroup = "W0003"
    case kubernetesGroup = "W0004"
    case certificateExpiring = "W0005"
    case privilegedPort = "W0006"
    case argNotFlag = "W0007"
    case keyReadableByOthers = "W0008"
    case certificateFromTheFuture = "W0009"
    case nameTooLongForFile = "W0010"
    case undefinedVersion = "W0011"

    public var severity: Severity { rawValue.hasPrefix("W") ? .warning : .error }

    public static func < (a: DiagnosticCode, b: DiagnosticCode) -> Bool { a.rawValue < b.rawValue }

    /// Looks a code up by its text, case-insensitively ("e0101" finds E0101).
    public init?(code: String) {
        self.init(rawValue: code.uppercased())
    }
}
