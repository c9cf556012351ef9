using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;
using Net.Pkcs11Interop.HighLevelAPI.Factories;
using Switch.Security.Keys;

namespace Switch.Security.Backends.Pkcs11;

/// <summary>
/// Cipher engine on a PKCS#11 token (tested with SoftHSM2). Keys are sensitive, non-extractable session objects; every
/// primitive is the token's own ECB/CBC/CMAC mechanism. What a composed algorithm needs beyond that is prepared as
/// extra token objects when a key is loaded: single-DES halves as K‖K double-length keys (retail MAC, CVV) and the
/// X9.24 DUKPT variant, and EMV keys are derived inside the token with CKM_DES3_ECB_ENCRYPT_DATA.
/// </summary>
public sealed class Pkcs11CipherEngine : ICipherEngine, IKeyVault
{
    private static readonly byte[] DukptMask = Convert.FromHexString("C0C0C0C000000000C0C0C0C000000000");

    // A stored key is the key object plus its left/right single-DES halves and its DUKPT variant.
    private static readonly string[] LabelSuffixes = ["", ".L", ".R", ".V"];

    private readonly IPkcs11Library _library;
    private readonly ISlot _slot;
    private readonly ISession _owner;
    private readonly object _ownerLock = new();
    private readonly ConcurrentBag<ISession> _idle = [];
    private readonly SemaphoreSlim _available;
    private readonly Pkcs11Options _options;
    private readonly SoftHsmScratchToken? _scratch;
    private int _disposed;

    static Pkcs11CipherEngine()
    {
        // Pkcs11Interop binds dlopen through "libdl", which glibc ≥ 2.34 ships only as libdl.so.2 (no dev symlink
        // on a runtime-only machine); resolve it explicitly so no extra Debian package is needed.
        NativeLibrary.SetDllImportResolver(typeof(Pkcs11InteropFactories).Assembly, (name, _, _) =>
            name == "libdl" && (NativeLibrary.TryLoad("libdl.so.2", out IntPtr h) || NativeLibrary.TryLoad("libc.so.6", out h)) ? h : IntPtr.Zero);
    }

    /// <summary>Loads the module, finds the token by label and logs in.</summary>
    public Pkcs11CipherEngine(Pkcs11Options options) : this(options, null)
    {
    }

    // With a scratch token the module's first free slot is initialised as that token (C_InitToken + C_InitPIN) before
    // logging in; the engine then owns the scratch directory and deletes it after unloading the module.
    private Pkcs11CipherEngine(Pkcs11Options options, SoftHsmScratchToken? scratch)
    {
        _options = options;
        _scratch = scratch;
        if (!File.Exists(options.ModulePath)) throw new HsmUnavailableException($"pkcs11: module {options.ModulePath} not found (install softhsm2 or set SWITCH_PKCS11_MODULE)");
        var factories = new Pkcs11InteropFactories();
        try
        {
            _library = factories.Pkcs11LibraryFactory.LoadPkcs11Library(factories, options.ModulePath, AppType.MultiThreaded);
            _slot = scratch is null
                ? _library.GetSlotList(SlotsType.WithTokenPresent).FirstOrDefault(s => s.GetTokenInfo().Label.Trim() == options.TokenLabel)
                    ?? throw new HsmUnavailableException($"pkcs11: no token labelled '{options.TokenLabel}'")
                : InitializeScratchToken(_library, scratch);
            // Session objects live as long as the session that created them, so one long-lived owner session creates
            // and destroys every key; pooled sessions only use them.
            _owner = _slot.OpenSession(SessionType.ReadWrite);
            _owner.Login(CKU.CKU_USER, options.UserPin);
        }
        catch (Pkcs11Exception ex)
        {
            _library?.Dispose();
            throw ex.RV == CKR.CKR_PIN_INCORRECT
                ? new HsmUnavailableException("pkcs11: token login failed (wrong PIN)")
                : new HsmUnavailableException($"pkcs11: cannot open token '{options.TokenLabel}': {ex.RV}", ex);
        }
        catch (UnmanagedException ex)
        {
            _library?.Dispose();
            throw new HsmUnavailableException($"pkcs11: cannot load module {options.ModulePath}: {ex.Message}", ex);
        }
        catch
        {
            _library?.Dispose();
            throw;
        }
        _available = new SemaphoreSlim(options.SessionsMax, options.SessionsMax);
    }

    /// <summary>
    /// The engine for a tool run: on the configured token (--pkcs11-token / SWITCH_PKCS11_TOKEN) when there is one;
    /// otherwise, when the module is SoftHSM2, on a throwaway token in a private temporary directory that is deleted
    /// when the engine is disposed (or when opening fails). Other modules without a token fail as before.
    /// </summary>
    /// <remarks>
    /// The throwaway token points the process's SOFTHSM2_CONF at its directory before the module is loaded, and a
    /// module loads once per process: use it from a process that opens one engine, such as <c>switch crypto</c>.
    /// Keys put on it are session objects; the key store needs a configured token, since its keys must outlive the run.
    /// </remarks>
    public static Pkcs11CipherEngine OpenConfiguredOrScratch(string? module = null, string? token = null, string? pin = null)
    {
        string modulePath = Pkcs11Options.ResolveModule(module);
        if (Pkcs11Options.TokenConfigured(token) || !Pkcs11Options.IsSoftHsm(modulePath))
        {
            return new Pkcs11CipherEngine(Pkcs11Options.FromEnvironment(module, token, pin));
        }
        if (!File.Exists(modulePath))
        {
            throw new HsmUnavailableException($"pkcs11: SoftHSM2 is not installed ({modulePath} not found): install the softhsm2 package (install/setup.sh does), or configure a token with --pkcs11-token");
        }
        var scratch = SoftHsmScratchToken.Create();
        try
        {
            return new Pkcs11CipherEngine(new Pkcs11Options { ModulePath = modulePath, TokenLabel = scratch.Label, UserPin = scratch.UserPin }, scratch);
        }
        catch
        {
            scratch.Dispose();
            throw;
        }
    }

    private static ISlot InitializeScratchToken(IPkcs11Library library, SoftHsmScratchToken scratch)
    {
        // SoftHSM2 always offers one uninitialised token; in a fresh token directory it is the only slot.
        ISlot slot = library.GetSlotList(SlotsType.WithTokenPresent).FirstOrDefault(s => !s.GetTokenInfo().TokenFlags.TokenInitialized)
            ?? throw new HsmUnavailableException("pkcs11: the SoftHSM2 module offers no free slot for a throwaway token");
        slot.InitToken(scratch.SoPin, scratch.Label);
        using ISession session = slot.OpenSession(SessionType.ReadWrite);
        session.Login(CKU.CKU_SO, scratch.SoPin);
        session.InitPin(scratch.UserPin);
        session.Logout();
        return slot;
    }

    /// <inheritdoc />
    public string Name => "pkcs11";

    /// <inheritdoc />
    public KeyHandle Import(KeyAlgorithm algorithm, ReadOnlySpan<byte> clearKey) => CreateKey(algorithm, clearKey, null);

    /// <inheritdoc />
    public KeyHandle Store(string label, KeyAlgorithm algorithm, ReadOnlySpan<byte> clearKey)
    {
        FileKeyStore.ValidateName(label);
        if (Find(label) is { } existing)
        {
            existing.Dispose();
            throw new SecurityInputException($"name: the token already holds a key labelled '{label}'");
        }
        return CreateKey(algorithm, clearKey, label);
    }

    /// <inheritdoc />
    public KeyHandle? Find(string label) => WithOwner(s =>
    {
        IObjectHandle? whole = FindOne(s, label);
        if (whole is null) return null;
        var type = (CKK)s.GetAttributeValue(whole, [CKA.CKA_KEY_TYPE])[0].GetValueAsUlong();
        KeyAlgorithm algorithm = type == CKK.CKK_AES ? KeyAlgorithm.Aes : KeyAlgorithm.Tdes;
        int length = type switch
        {
            CKK.CKK_DES2 => 16,
            CKK.CKK_DES3 => 24,
            _ => (int)s.GetAttributeValue(whole, [CKA.CKA_VALUE_LEN])[0].GetValueAsUlong(),
        };
        return (KeyHandle?)new TokenKey(this, algorithm, length, whole, FindOne(s, label + ".L"), FindOne(s, label + ".R"), FindOne(s, label + ".V"), persistent: true);
    });

    /// <inheritdoc />
    public bool Delete(string label) => WithOwner(s =>
    {
        bool any = false;
        foreach (string suffix in LabelSuffixes)
        {
            if (FindOne(s, label + suffix) is not { } h) continue;
            s.DestroyObject(h);
            any = true;
        }
        return any;
    });

    private KeyHandle CreateKey(KeyAlgorithm algorithm, ReadOnlySpan<byte> clearKey, string? label)
    {
        KeyLengths.Require(algorithm, clearKey.Length, "key");
        byte[] value = clearKey.ToArray();
        try
        {
            return WithOwner(s =>
            {
                if (algorithm == KeyAlgorithm.Aes) return new TokenKey(this, algorithm, value.Length, Create(s, CKK.CKK_AES, value, label), null, null, null, label is not null);
                IObjectHandle whole = Create(s, TdesType(value.Length), value, label);
                IObjectHandle left = Create(s, CKK.CKK_DES2, [.. value.AsSpan(0, 8), .. value.AsSpan(0, 8)], label is null ? null : label + ".L");
                IObjectHandle right = Create(s, CKK.CKK_DES2, [.. value.AsSpan(8, 8), .. value.AsSpan(8, 8)], label is null ? null : label + ".R");
                byte[] variant = new byte[value.Length];
                for (int i = 0; i < value.Length; i++) variant[i] = (byte)(value[i] ^ DukptMask[i % 16]);
                IObjectHandle dukpt = Create(s, TdesType(value.Length), variant, label is null ? null : label + ".V");
                Array.Clear(variant);
                return new TokenKey(this, algorithm, value.Length, whole, left, right, dukpt, label is not null);
            });
        }
        finally
        {
            Array.Clear(value);
        }
    }

    private static IObjectHandle? FindOne(ISession s, string label)
    {
        var f = s.Factories.ObjectAttributeFactory;
        var found = s.FindAllObjects([f.Create(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY), f.Create(CKA.CKA_LABEL, label)]);
        return found.Count > 0 ? found[0] : null;
    }

    /// <inheritdoc />
    public KeyHandle DeriveByEncryption(KeyHandle parent, KeyAlgorithm derivedAlgorithm, ReadOnlySpan<byte> data)
    {
        var p = Own(parent);
        byte[] bytes = data.ToArray();
        return WithOwner(s =>
        {
            if (derivedAlgorithm == KeyAlgorithm.Aes) return new TokenKey(this, derivedAlgorithm, bytes.Length, Derive(s, p, CKK.CKK_AES, bytes), null, null, null, false);
            IObjectHandle whole = Derive(s, p, TdesType(bytes.Length), bytes);
            // ECB(parent, d0 ‖ d0) = K_L ‖ K_L: the single-DES halves of the derived key, derived without leaving the token.
            IObjectHandle left = Derive(s, p, CKK.CKK_DES2, [.. bytes.AsSpan(0, 8), .. bytes.AsSpan(0, 8)]);
            IObjectHandle right = Derive(s, p, CKK.CKK_DES2, [.. bytes.AsSpan(8, 8), .. bytes.AsSpan(8, 8)]);
            return new TokenKey(this, derivedAlgorithm, bytes.Length, whole, left, right, null, false);
        });
    }

    /// <inheritdoc />
    public void EncryptEcb(KeyHandle key, KeyPart part, ReadOnlySpan<byte> input, Span<byte> output)
    {
        var k = Own(key);
        byte[] data = input.ToArray();
        byte[] result = WithSession(s => s.Encrypt(s.Factories.MechanismFactory.Create(EcbMechanism(k, part)), k.Object(part), data));
        result.CopyTo(output);
        Array.Clear(result);
    }

    /// <inheritdoc />
    public void DecryptEcb(KeyHandle key, KeyPart part, ReadOnlySpan<byte> input, Span<byte> output)
    {
        var k = Own(key);
        byte[] data = input.ToArray();
        byte[] result = WithSession(s => s.Decrypt(s.Factories.MechanismFactory.Create(EcbMechanism(k, part)), k.Object(part), data));
        result.CopyTo(output);
        Array.Clear(result);
    }

    /// <inheritdoc />
    public void EncryptCbc(KeyHandle key, KeyPart part, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> input, Span<byte> output)
    {
        var k = Own(key);
        byte[] data = input.ToArray();
        byte[] vector = iv[..k.BlockBytes].ToArray();
        CKM mechanism = k.Algorithm == KeyAlgorithm.Aes ? CKM.CKM_AES_CBC : CKM.CKM_DES3_CBC;
        byte[] result = WithSession(s => s.Encrypt(s.Factories.MechanismFactory.Create(mechanism, vector), k.Object(part), data));
        result.CopyTo(output);
    }

    /// <inheritdoc />
    public void Cmac(KeyHandle key, ReadOnlySpan<byte> data, Span<byte> mac)
    {
        var k = Own(key);
        byte[] input = data.ToArray();
        CKM mechanism = k.Algorithm == KeyAlgorithm.Aes ? CKM.CKM_AES_CMAC : CKM.CKM_DES3_CMAC;
        byte[] result = WithSession(s => s.Sign(s.Factories.MechanismFactory.Create(mechanism), k.Object(KeyPart.Whole), input));
        result.CopyTo(mac);
    }

    /// <summary>
    /// Asks the token for the key's value and extractability (tests use it to prove the token refuses): true only if
    /// any of the key's objects would reveal CKA_VALUE or could be wrapped out.
    /// </summary>
    internal bool TokenWouldRevealValue(KeyHandle key)
    {
        var k = Own(key);
        return WithOwner(s =>
        {
            foreach (KeyPart part in new[] { KeyPart.Whole, KeyPart.Left, KeyPart.Right, KeyPart.DukptVariant })
            {
                IObjectHandle? h = k.TryObject(part);
                if (h is null) continue;
                var attributes = s.GetAttributeValue(h, [CKA.CKA_VALUE, CKA.CKA_EXTRACTABLE, CKA.CKA_SENSITIVE]);
                if (!attributes[0].CannotBeRead || attributes[1].GetValueAsBool() || !attributes[2].GetValueAsBool()) return true;
            }
            return false;
        });
    }

    /// <summary>
    /// Fault injection (FAULTS.md F16): closes every session of this application on the token with C_CloseAllSessions,
    /// which is what a token removal does; every later call fails as unavailable.
    /// </summary>
    internal void SimulateTokenRemoval()
    {
        lock (_ownerLock) _slot.CloseAllSessions();
    }

    /// <summary>Logs out, closes every session (destroying session keys) and unloads the module.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        while (_idle.TryTake(out ISession? s)) CloseQuietly(s);
        try { _owner.Logout(); } catch (Pkcs11Exception) { /* already logged out or token gone */ }
        CloseQuietly(_owner);
        try
        {
            _library.Dispose();
            _available.Dispose();
        }
        finally
        {
            // Only after C_Finalize: the module has closed its token files.
            _scratch?.Dispose();
        }
    }

    private static CKK TdesType(int length) => length == 16 ? CKK.CKK_DES2 : CKK.CKK_DES3;

    private static CKM EcbMechanism(TokenKey k, KeyPart part) => k.Algorithm == KeyAlgorithm.Aes && part == KeyPart.Whole ? CKM.CKM_AES_ECB : CKM.CKM_DES3_ECB;

    private static List<IObjectAttribute> Template(ISession s, CKK type, byte[]? value, string? label = null)
    {
        var f = s.Factories.ObjectAttributeFactory;
        var attributes = new List<IObjectAttribute>
        {
            f.Create(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY),
            f.Create(CKA.CKA_KEY_TYPE, type),
            // Labelled keys are the key store's persistent token objects; the rest live only as long as the session.
            f.Create(CKA.CKA_TOKEN, label is not null),
            f.Create(CKA.CKA_PRIVATE, true),
            f.Create(CKA.CKA_SENSITIVE, true),
            f.Create(CKA.CKA_EXTRACTABLE, false),
            f.Create(CKA.CKA_ENCRYPT, true),
            f.Create(CKA.CKA_DECRYPT, true),
            f.Create(CKA.CKA_SIGN, true),
            f.Create(CKA.CKA_VERIFY, true),
            f.Create(CKA.CKA_DERIVE, true),
        };
        if (label is not null) attributes.Add(f.Create(CKA.CKA_LABEL, label));
        if (value is not null) attributes.Add(f.Create(CKA.CKA_VALUE, value));
        else if (type == CKK.CKK_AES) attributes.Add(f.Create(CKA.CKA_VALUE_LEN, 16UL));
        return attributes;
    }

    private static IObjectHandle Create(ISession s, CKK type, byte[] value, string? label = null) => s.CreateObject(Template(s, type, value, label));

    private static IObjectHandle Derive(ISession s, TokenKey parent, CKK type, byte[] data)
    {
        var parameters = s.Factories.MechanismParamsFactory.CreateCkKeyDerivationStringData(data);
        CKM mechanism = parent.Algorithm == KeyAlgorithm.Aes ? CKM.CKM_AES_ECB_ENCRYPT_DATA : CKM.CKM_DES3_ECB_ENCRYPT_DATA;
        var template = Template(s, type, null);
        if (type == CKK.CKK_AES) template[^1] = s.Factories.ObjectAttributeFactory.Create(CKA.CKA_VALUE_LEN, (ulong)data.Length);
        return s.DeriveKey(s.Factories.MechanismFactory.Create(mechanism, parameters), parent.Object(KeyPart.Whole), template);
    }

    private TokenKey Own(KeyHandle key) => key as TokenKey is { } k && ReferenceEquals(k.Engine, this)
        ? k
        : throw new ArgumentException("key handle belongs to another engine", nameof(key));

    private T WithOwner<T>(Func<ISession, T> action)
    {
        ThrowIfClosed();
        lock (_ownerLock) return Guard(() => action(_owner));
    }

    private T WithSession<T>(Func<ISession, T> action)
    {
        ThrowIfClosed();
        if (!_available.Wait(_options.SessionWaitMs)) throw new HsmUnavailableException($"pkcs11: no free session within {_options.SessionWaitMs} ms ({_options.SessionsMax} in use)");
        ISession? session = null;
        try
        {
            session = _idle.TryTake(out ISession? s) ? s : Guard(() => _slot.OpenSession(SessionType.ReadOnly));
            T result = Guard(() => action(session));
            _idle.Add(session);
            session = null;
            return result;
        }
        finally
        {
            // A session that failed is closed rather than reused: its state is unknown.
            if (session is not null) CloseQuietly(session);
            _available.Release();
        }
    }

    // Closing a session the token already dropped reports an error; there is nothing left to release.
    private static void CloseQuietly(ISession session)
    {
        try { session.Dispose(); }
        catch (Pkcs11Exception) { /* session already gone with the token */ }
    }

    private void ThrowIfClosed()
    {
        if (Volatile.Read(ref _disposed) == 1) throw new HsmUnavailableException("pkcs11: the token connection is closed");
    }

    private static T Guard<T>(Func<T> action)
    {
        try
        {
            return action();
        }
        catch (Pkcs11Exception ex) when (IsUnavailable(ex.RV))
        {
            throw new HsmUnavailableException($"pkcs11: token unavailable ({ex.RV})", ex);
        }
        catch (Pkcs11Exception ex)
        {
            throw new HsmErrorException(ex.RV.ToString(), $"pkcs11: token refused the operation ({ex.RV})");
        }
    }

    // The engine only uses handles it created, so an invalid key or object handle means the token lost its objects
    // (sessions closed, token reset): as unavailable as a removed device until the keys are loaded again.
    private static bool IsUnavailable(CKR rv) => rv is CKR.CKR_KEY_HANDLE_INVALID or CKR.CKR_OBJECT_HANDLE_INVALID or CKR.CKR_DEVICE_REMOVED or CKR.CKR_DEVICE_ERROR or CKR.CKR_TOKEN_NOT_PRESENT
        or CKR.CKR_SESSION_HANDLE_INVALID or CKR.CKR_SESSION_CLOSED or CKR.CKR_USER_NOT_LOGGED_IN or CKR.CKR_CRYPTOKI_NOT_INITIALIZED
        or CKR.CKR_DEVICE_MEMORY or CKR.CKR_HOST_MEMORY or CKR.CKR_GENERAL_ERROR;

    /// <summary>A key as token objects: the key and the derived objects composed algorithms need.</summary>
    private sealed class TokenKey(Pkcs11CipherEngine engine, KeyAlgorithm algorithm, int length, IObjectHandle whole, IObjectHandle? left, IObjectHandle? right, IObjectHandle? variant, bool persistent)
        : KeyHandle(algorithm, length)
    {
        private int _destroyed;

        public Pkcs11CipherEngine Engine { get; } = engine;

        public IObjectHandle Object(KeyPart part) => part switch
        {
            KeyPart.Whole => whole,
            KeyPart.Left => left,
            KeyPart.Right => right,
            KeyPart.DukptVariant => variant,
            _ => null,
        } ?? throw new SecurityInputException($"key: this operation needs a TDES key ({part} half not available)");

        public IObjectHandle? TryObject(KeyPart part) => part switch
        {
            KeyPart.Whole => whole,
            KeyPart.Left => left,
            KeyPart.Right => right,
            _ => variant,
        };

        protected override void Dispose(bool disposing)
        {
            // Persistent (key store) objects outlive the handle; session objects are destroyed with it.
            if (disposing && !persistent && Interlocked.Exchange(ref _destroyed, 1) == 0 && Volatile.Read(ref Engine._disposed) == 0)
            {
                foreach (var h in new[] { whole, left, right, variant })
                {
                    if (h is null) continue;
                    try { Engine.WithOwner(s => { s.DestroyObject(h); return 0; }); }
                    catch (IOException) { /* token gone: its session objects went with it */ }
                    catch (HsmErrorException) { /* already destroyed */ }
                }
            }
            base.Dispose(disposing);
        }
    }
}
