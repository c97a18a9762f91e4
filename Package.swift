// swift-tools-version:6.0
// extc: a compiler from *.ext specs to the manifests of a Kubernetes extension API server.
//
// Module graph (dependencies point one way, top to bottom):
//   ExtcSyntax  lexer, parser, AST, printer (fmt), diagnostics; and the file and process helpers
//               every later stage writes through (atomic and durable writes, concurrency)
//   ExtcCheck   type checker: AST -> typed IR
//   ExtcLower   IR -> Kubernetes objects (ordered trees), cross-object checks
//   ExtcEmit    objects -> YAML (libyaml) / JSON, output layouts and their publication
//   ExtcCerts   IR -> CA and serving certificates (OpenSSL), state directory
//   ExtcDriver  the build pipeline, `watch`
//   extc        the command-line interface
//   CommitStamp a build plugin: the git commit, for `extc --version`
import PackageDescription

let package = Package(
    name: "extc",
    products: [
        .executable(name: "extc", targets: ["extc"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CYAML", pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]),
        .systemLibrary(
            name: "COpenSSL", pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]),
        .target(name: "COpenSSLShim", dependencies: ["COpenSSL"]),
        .target(name: "ExtcSyntax"),
        .target(name: "ExtcCheck", dependencies: ["ExtcSyntax"]),
        .target(name: "ExtcLower", dependencies: ["ExtcCheck"]),
        .target(name: "ExtcEmit", dependencies: ["ExtcLower", "CYAML"]),
        .target(name: "ExtcCerts", dependencies: ["ExtcCheck", "COpenSSL", "COpenSSLShim"]),
        .target(name: "ExtcDriver", dependencies: ["ExtcEmit", "ExtcCerts"]),
        .executableTarget(
            name: "extc",
            // The driver, and the stages whose types its requests carry (layouts, key types,
            // state directories), named rather than reached through it.
            dependencies: [
                "ExtcDriver", "ExtcCerts", "ExtcEmit", "ExtcCheck", "ExtcSyntax",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            plugins: ["CommitStamp"]),
        // `extc --version` names the git commit it was built from.
        .plugin(name: "CommitStamp", capability: .buildTool()),
        // Benchmarks (bench/run.sh builds and runs them in release mode); not a product.
        .executableTarget(
            name: "extc-bench",
            dependencies: [
                "ExtcDriver", "ExtcCerts", "ExtcCheck", "ExtcSyntax",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .testTarget(
            name: "ExtcTests",
            // `extc` for QuickArgsTests: the quick argv reader against ArgumentParser's.
            dependencies: ["ExtcDriver", "extc"],
            exclude: ["Fixtures", "Golden"]),
    ]
)
