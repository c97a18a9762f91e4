// The documentation `extc explain CODE` prints. One entry per code, enforced by the exhaustive switch.
extension DiagnosticCode {
    public var title: String { docs.title }
    public var explanation: String { docs.body }

    private var docs: (title: String, body: String) {
        switch self {
        case .invalidCharacter: return ("invalid character", """
            A spec may contain only printable ASCII outside strings and comments. Words are runs of
            characters other than white space and `{ } ; " #`. Put other text in a "quoted string".
            """)
        case .unterminatedString: return ("unterminated string", """
            A string starts and ends with `"` on the same line. Close it, or escape an inner quote as `\\"`.
            """)
        case .invalidEscape: return ("invalid escape sequence", """
            Inside a string, `\\` may be followed only by `"`, `\\`, `n` or `t`.
            """)
        case .unexpectedToken: return ("unexpected token", """
            The token does not fit the grammar here. An entry is a name, then values, then optionally a
            `{ block }`, ended by a newline or `;`. See grammar/ext.ebnf.
            """)
        case .unclosedBlock: return ("unclosed block", """
            A `{` has no matching `}` before the end of the file. Add the `}` where the block ends.
            """)
        case .unmatchedBrace: return ("unmatched closing brace", """
            A `}` closes no block. Remove it, or add the `{` it was meant to close.
            """)
        case .nestingTooDeep: return ("blocks nested too deeply", """
            Blocks nest at most 16 deep; the language needs 3. This usually means braces are unbalanced.
            """)
        case .invalidUTF8: return ("invalid UTF-8", """
            Spec files are UTF-8. Re-save the file as UTF-8.
            """)
        case .unknownKeyword: return ("unknown top-level keyword", """
            At the top level of a file only `apiserver NAME { ... }` is allowed.
            """)
        case .unknownField: return ("unknown field", """
            The block does not have this field. The help line suggests the closest known name; README's
            "The language" section lists every field of every block.
            """)
        case .duplicateField: return ("duplicate field", """
            A field may be given once per block. Both places are shown; keep one. Fields that take
            several values take them on one line: `versions v1alpha1 v1beta1`.
            """)
        case .missingField: return ("missing required field", """
            The block lacks a field that has no default. An apiserver needs `group`, `versions`,
            `namespace`, `service`, `image` and at least one `resource`; a resource needs verbs (its
            own `verbs`, or the apiserver's `verbs` for all resources).
            """)
        case .wrongArity: return ("wrong number of values", """
            The field takes a different number of values; the message says how many.
            """)
        case .invalidValue: return ("invalid value", """
            The value is not of the field's type: a whole number, a keyword from a fixed set (for
            example `scope namespaced|cluster`, `key ecdsa-p256|ecdsa-p384|rsa-2048|rsa-3072|rsa-4096`),
            or a path.
            """)
        case .blockMismatch: return ("block expected or not allowed", """
            Some entries take a `{ block }` and the others do not. Always a block: apiserver, certs,
            labels, annotations, env, requests, limits, ports, volume, pod, serving, selector,
            user-roles, rbac-names, and the pod's node-selector. A block or a value: group, resource, storage and allow. The
            field tables in the README say which is which.
            """)
        case .invalidLabelName: return ("invalid DNS-1123 label", """
            Namespaces, apiserver names and volume names become object names and must be DNS-1123
            labels: at most 63 characters, lowercase letters, digits and `-`, starting and ending with
            a letter or digit. A volume may not take a name extc uses itself.
            """)
        case .invalidSubdomain: return ("invalid DNS-1123 subdomain", """
            An API group must be a DNS-1123 subdomain: at most 253 characters, dot-separated DNS-1123
            labels.
            """)
        case .invalidServiceName: return ("invalid service name", """
            A Service name (and a resource's plural name) must be a DNS-1035 label: at most 63
            characters, lowercase letters, digits and `-`, starting with a letter, ending with a letter
            or digit.
            """)
        case .groupWithoutDot: return ("group without a dot", """
            Groups without a dot are reserved for Kubernetes' own APIs (apps, batch, ...), and the
            aggregation layer requires a qualified name. Use a domain you own: `wardle.example.com`.
            """)
        case .invalidVersion: return ("invalid API version", """
            Versions have the Kubernetes form `v<N>`, `v<N>alpha<M>` or `v<N>beta<M>` with N, M >= 1:
            `v1`, `v2beta3`, `v1alpha1`. Kubernetes sorts and prioritises versions by this form.
            """)
        case .builtinGroup: return ("group built into Kubernetes", """
            kube-apiserver serves this group itself; an APIService for it would shadow or collide with
            the built-in API. Pick a group of your own.
            """)
        case .apiServiceNameTooLong: return ("APIService name too long", """
            Each version becomes an APIService named `<version>.<group>`, which must be a DNS-1123
            subdomain of at most 253 characters. Shorten the group.
            """)
        case .unknownVerb: return ("unknown verb", """
            Resource verbs are get, list, watch, create, update, patch, delete, deletecollection, or `*`.
            `allow` rules also take RBAC's special verbs: use, bind, escalate, impersonate, approve, sign.
            """)
        case .duplicateResource: return ("duplicate resource", """
            A resource may be declared once per apiserver. Merge the two declarations.
            """)
        case .duplicateVersion: return ("duplicate version", """
            Each version is listed once; every version becomes one APIService.
            """)
        case .duplicateServer: return ("duplicate apiserver", """
            apiserver names must be unique across all files of a build: the name names the Deployment,
            ServiceAccount and cluster-scoped RBAC objects.
            """)
        case .outOfRange: return ("number out of range", """
            The number is outside the range the field allows: port 1-65535, replicas 1-1000,
            group-priority 1-20000, version-priority 1-1000.
            """)
        case .invalidImage: return ("malformed image reference", """
            An image is `[registry[:port]/]path[:tag][@sha256:<64 hex>]`, with a lowercase path, as
            `docker pull` takes it.
            """)
        case .leafOutlivesCA: return ("certificate outlives its CA", """
            The serving certificate's `validity` must not exceed the CA's `ca-validity`: a leaf that
            outlives its CA stops verifying the day the CA expires.
            """)
        case .argDisablesDelegatedAuth: return ("argument disables delegated authentication", """
            `--authentication-skip-lookup` and `--authentication-tolerate-lookup-failure` make the server
            accept requests without checking the front proxy's client certificate against the
            extension-apiserver-authentication ConfigMap. Remove the argument.
            """)
        case .argConflictsWithManaged: return ("argument conflicts with what extc manages", """
            extc sets the serving flags from the spec and the generated Secret: `--secure-port`,
            `--tls-cert-file` and `--tls-private-key-file`, or the flags a `serving` block names
            instead (`port-flag`, `cert-flag`, `key-flag`, `cert-dir`); and with `storage`,
            `--etcd-servers`, `--etcd-cafile`, `--etcd-certfile`, `--etcd-keyfile` and
            `--etcd-prefix`, which reach the etcd it declares. Use the `port` field instead, and leave
            TLS to the `certs` block and storage to the `storage` block.
            """)
        case .invalidDuration: return ("invalid duration", """
            Durations are a whole number followed by a unit: `h` (hours), `d` (days), `w` (weeks) or `y`
            (365 days): `365d`, `8760h`, `10y`.
            """)
        case .invalidQuantity: return ("invalid resource quantity", """
            Quantities are Kubernetes quantities: a number and an optional suffix (m, k, M, G, T, P, E,
            Ki, Mi, Gi, Ti, Pi, Ei): `100m`, `0.5`, `128Mi`. Resources are cpu, memory, ephemeral-storage.
            """)
        case .invalidMetadata: return ("invalid label or annotation", """
            Keys are `[prefix/]name`, the prefix a DNS-1123 subdomain, the name at most 63 characters of
            letters, digits, `-`, `_`, `.`, starting and ending alphanumerically. Label values follow the
            name rule, or are empty.
            """)
        case .invalidEnvName: return ("invalid environment variable name", """
            Environment variable names are letters, digits and `_`, not starting with a digit.
            """)
        case .duplicateAPIService: return ("two apiservers serve the same group/version", """
            Both would write the same APIService `<version>.<group>`, and the last applied wins.
            """)
        case .duplicateService: return ("two apiservers share a Service", """
            Both apiservers name the same `service` in the same namespace, so one would overwrite the
            other's Service and serving certificate. Give each its own service name.
            """)
        case .reservedLabel: return ("label reserved by extc", """
            extc sets the app.kubernetes.io/name, instance and managed-by labels itself; the first two
            select the pods. Use another key.
            """)
        case .unsupportedLibrary: return ("unsupported k8s.io/apiserver version", """
            `library 1.NN` names the Kubernetes minor version the server's k8s.io/apiserver comes from
            (the v0.NN.x in its go.mod). extc knows what the library's admission plugins and flow
            control read at each version from 1.27 to 1.36 (README, "The server's own RBAC") and
            grants that by default. For another version, write the server's `allow` rules in full.
            """)
        case .sidecarReplicas: return ("a sidecar etcd in more than one pod", """
            `storage sidecar` puts one etcd member in each pod, with its data in an emptyDir, so
            every replica would keep its own separate store and clients would see objects come and
            go between requests. Use `replicas 1` (the default with a sidecar), or `storage cluster`,
            which runs one etcd that every replica shares. For the same reason a sidecar server's
            Deployment replaces its pod (`Recreate`) instead of rolling it, and `max-surge` or
            `max-unavailable`, which would run an old and a new pod side by side, are refused.
            """)
        case .storageFieldForMode: return ("storage field of the other mode", """
            `members`, `size` and `storage-class` describe the StatefulSet of `storage cluster`. A
            sidecar is one member whose data lives in an emptyDir, so they do not apply to it.
            """)
        case .storageServerName: return ("apiserver name unfit for storage", """
            With `storage`, the apiserver name also names the etcd StatefulSet (`NAME-etcd`) and the
            Services `NAME-etcd` and `NAME-etcd-client`. Service names must start with a letter,
            and the StatefulSet's pods carry a `controller-revision-hash` label of the set's name plus
            eleven characters, which must fit in 63; the etcd CA's name must fit in 64. So the name
            starts with a letter and has at most 45 characters.
            """)
        case .duplicateObject: return ("RBAC object made twice", """
            Each server makes a ClusterRole and its ClusterRoleBinding, a ClusterRoleBinding to
            `system:auth-delegator`, a RoleBinding in kube-system and up to two aggregated user
            roles. Their names come from the server's name unless `rbac-names` or `user-roles` gives
            them. Two objects of one kind and name would be one object in the cluster: the one applied
            second replaces the first, and a binding's roleRef cannot change, so the apply fails.
            Give each its own name.
            """)
        case .openSSLFailure: return ("OpenSSL failed", """
            OpenSSL reported an error while making key material; its reason is in the message.
            """)
        case .caFileUnreadable: return ("CA file unreadable", """
            `ca files CERT KEY` names PEM files, relative to the spec's directory. The file could not be
            read or holds no PEM certificate or key.
            """)
        case .caKeyEncrypted: return ("encrypted CA key", """
            extc does not prompt for passphrases. Decrypt the key into a file kept out of git
            (`openssl pkey -in ca.key -out ca.plain.key`).
            """)
        case .caNotCA: return ("certificate is not a CA", """
            The certificate given as the CA lacks basicConstraints CA:TRUE (or keyCertSign), so
            nothing it signs would verify.
            """)
        case .caKeyMismatch: return ("CA key does not match its certificate", """
            The key file is not the private key of the CA certificate. Check that the two files belong
            together.
            """)
        case .caTooShort: return ("CA expires too soon", """
            The given CA expires before the serving certificate's `validity` would end (or has expired).
            Shorten `validity` or renew the CA.
            """)
        case .stateUnusable: return ("certificate state directory unusable", """
            The state directory (default `.extc/` beside the spec, or `--state DIR`) could not be
            created, read or written, or holds files extc cannot parse. Fix its permissions, or remove
            it to start afresh (this issues a new CA, so the caBundle changes).
            """)
        case .configFileUnreadable: return ("a generated ConfigMap's file is unusable", """
            `volume NAME { files ... }` makes a ConfigMap from files beside the spec (paths relative to
            its directory), each under its file name as key. Every file must exist, be readable and
            be UTF-8 text, and together they must fit in a ConfigMap (1 MB). A file holding a
            private key (PEM) is refused: a ConfigMap is not secret, and extc writes and prints it
            as public output; mount keys from a Secret. The ConfigMap's name ends in a hash of the
            content, so editing a file rolls the pods.
            """)
        case .stateCAUnusable: return ("stored CA cannot be used", """
            The state directory holds a CA certificate or key that cannot be read: no permission,
            an encrypted or truncated key, or a certificate whose key is missing. (A key whose
            certificate is missing is what an interrupted issue leaves: extc keeps it aside as
            `ca.key.orphan-<time>` and issues a new CA.) extc never replaces a
            CA it cannot read, since its key may be the only copy and clusters trust it. Restore the
            file or its permissions; or run `extc certs --rotate all` to issue a new CA, which keeps
            the old files beside the new ones (`ca.key.replaced-<time>`). In a clone that holds the
            committed certificates and no key (CI), that is expected: check there with
            `extc check --no-secrets`, and build with `--no-secrets`.
            """)
        case .stateOwnedByOtherSpec: return ("state directory of another spec", """
            Each apiserver's certificate state (`.extc/NAME/`) belongs to one spec file; extc
            records which in `.extc/NAME/.spec`. Two specs in one directory that define an apiserver
            of the same name would otherwise share, and overwrite, each other's CA and keys, and
            re-issue the serving certificate on every other build. Rename one apiserver, or give one
            of the builds its own `--state DIR`. A spec that was moved or renamed takes its state
            over (the recorded spec no longer exists).
            """)
        case .nameTooLongForCertificate: return ("name too long for a certificate", """
            A certificate's subject common name holds at most 64 characters (X.509, RFC 5280's
            ub-common-name). The serving certificate's is `SERVICE.NAMESPACE.svc`, and a generated
            CA's `NAME-ca@<time>`, so the service and namespace together, and the apiserver name,
            must be short enough. Shorten the names shown.
            """)
        case .noPublicState: return ("no public certificate state to compare with", """
            `extc build --check --no-secrets` compares committed output with what the specs produce
            without reading any private key: the APIService's caBundle comes from the state
            directory's certificates (`.extc/NAME/ca.crt`). The state's .gitignore keeps keys out
            of git, so commit the certificates beside the spec. Without them extc would have to mint
            a throw-away CA, and the comparison would always differ, so it stops instead.
            """)
        case .internalInvariant: return ("internal error: generated objects are inconsistent", """
            After lowering, extc checks the object set (binding subjects, selectors, ports, Secret,
            APIService versions). A failure is a bug in extc, not in the spec; please report it with
            the spec.
            """)
        case .unpinnedImage: return ("image not pinned", """
            An image without a tag, or tagged `latest`, changes under the Deployment. Pin a tag or a
            digest.
            """)
        case .wildcardVerb: return ("wildcard verb", """
            `*` grants every verb, including ones added later. List the verbs instead.
            """)
        case .wellKnownGroup: return ("group shared with a well-known server", """
            metrics.k8s.io, custom.metrics.k8s.io and external.metrics.k8s.io are served by
            metrics-server and metrics adapters. Two servers of one group overwrite each other's
            APIService.
            """)
        case .kubernetesGroup: return ("group in a Kubernetes-owned domain", """
            Groups under k8s.io and kubernetes.io are reserved for the Kubernetes project
            (API review required). Use a domain you own.
            """)
        case .certificateExpiring: return ("certificate expires soon", """
            A certificate in the state directory expires within the renewal window; the next
            `extc build` renews it.
            """)
        case .privilegedPort: return ("privileged port", """
            The container drops all capabilities and runs as non-root, so binding a port below 1024
            fails unless the node allows unprivileged low ports. Use a port of 1024 or more (8443).
            """)
        case .keyReadableByOthers: return ("private key readable by others", """
            A key file in the state directory could be read by other users (its mode allowed group
            or world access), for example after a copy or an archive extraction. extc sets it back
            to 0600 and warns, since someone may already have read it: rotate the key if the
            machine is shared (`extc certs --rotate leaf`, or `--rotate all` for a CA).
            """)
        case .certificateFromTheFuture: return ("certificate not yet valid", """
            A stored certificate's notBefore is later than this machine's clock: the clock jumped
            back, or the state came from a machine whose clock ran ahead. Clients with the correct
            time would reject it too, so extc issues a new one (under the same CA when only the
            leaf is affected). Check the clock.
            """)
        case .nameTooLongForFile: return ("name too long for a file", """
            In the `dir` and `kustomize` layouts each object is a file named after its kind and
            name; a file name has at most 255 bytes. An APIService is named `VERSION.GROUP`, so a
            very long group cannot be written as a layout (the stream layout is unaffected); a dir
            build with such a name stops before it writes anything.
            """)
        case .undefinedVersion: return ("version the group does not define", """
            The metrics groups are defined by k8s.io/metrics, and their servers (metrics-server,
            and the adapters built on sigs.k8s.io/custom-metrics-apiserver) serve exactly its
            versions: metrics.k8s.io v1alpha1 and v1beta1, custom.metrics.k8s.io v1beta1 and
            v1beta2, external.metrics.k8s.io v1beta1 (Kubernetes 1.36). An APIService for any other
            version points at a path the server does not serve, so the aggregator's discovery check
            fails (FailedDiscoveryCheck) and clients such as the HPA controller never see it. A
            warning rather than an error, for the day a new version is released: acknowledge it
            then (`acknowledge W0011`).
            """)
        case .argNotFlag: return ("first arg is not a flag", """
            extc puts its own flags (the secure port and certificate, and storage's etcd flags) first
            in the container's args, then the spec's `args`. An image without an ENTRYPOINT expects
            the binary as the first argument, and would then be handed `--secure-port=...` as the
            program to run. Name the binary with `command`, which becomes the container's command,
            and leave it out of `args`. An image whose entrypoint takes a subcommand can keep it in
            `args` and acknowledge the warning (`acknowledge W0007`).
            """)
        }
    }
}
