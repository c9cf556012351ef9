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
public sealed class Pkcs11CipherEngine : ICipherEngine
{
    private static readonly byte[] DukptMask = Convert.FromHexString("C0C0C0C000000000C0C0C0C000000000");

    private readonly IPkcs11Library _library;
    private readonly ISlot _slot;
    private readonly ISession _owner;
    private readonly object _ownerLock = new();
    private readonly ConcurrentBag<ISession> _idle = [];
    private readonly SemaphoreSlim _available;
    private readonly Pkcs11Options _options;
    private int _disposed;

    static Pkcs11CipherEngine()
    {
        // Pkcs11Interop binds dlopen through "libdl", which glibc ≥ 2.34 ships only as libdl.so.2 (no dev symlink
        // on a runtime-only machine); resolve it explicitly so no extra Debian package is needed.
        NativeLibrary.SetDllImportResolver(typeof(Pkcs11InteropFactories).Assembly, (name, _, _) =>
            name == "libdl" && (NativeLibrary.TryLoad("libdl.so.2", out IntPtr h) || NativeLibrary.TryLoad("libc.so.6", out h)) ? h : IntPtr.Zero);
    }

    /// <summary>Loads the module, finds the token by label and logs in.</summary>
    public Pkcs11CipherEngine(Pkcs11Options options)
    {
        _options = options;
        if (!File.Exists(options.ModulePath)) throw new HsmUnavailableException($"pkcs11: module {options.ModulePath} not found (install softhsm2 or set SWITCH_PKCS11_MODULE)");
        var factories = new Pkcs11InteropFactories();
        try
        {
            _library = factories.Pkcs11LibraryFactory.LoadPkcs11Library(factories, options.ModulePath, AppType.MultiThreaded);
            _slot = _library.GetSlotList(SlotsType.WithTokenPresent).FirstOrDefault(s => s.GetTokenInfo().Label.Trim() == options.TokenLabel)
                ?? throw new HsmUnavailableException($"pkcs11: no token labelled '{options.TokenLabel}'");
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
        _available = new SemaphoreSlim(options.SessionsMax, options.SessionsMax);
    }

    /// <inheritdoc />
    public string Name => "pkcs11";

    /// <inheritdoc />
    public KeyHandle Import(KeyAlgorithm algorithm, ReadOnlySpan<byte> clearKey)
    {
        KeyLengths.Require(algorithm, clearKey.Length, "key");
        byte[] value = clearKey.ToArray();
        try
        {
            return WithOwner(s =>
            {
                if (algorithm == KeyAlgorithm.Aes) return new TokenKey(this, algorithm, value.Length, Create(s, CKK.CKK_AES, value), null, null, null);
                IObjectHandle whole = Create(s, TdesType(value.Length), value);
                IObjectHandle left = Create(s, CKK.CKK_DES2, [.. value.AsSpan(0, 8), .. value.AsSpan(0, 8)]);
                IObjectHandle right = Create(s, CKK.CKK_DES2, [.. value.AsSpan(8, 8), .. value.AsSpan(8, 8)]);
                byte[] variant = new byte[value.Length];
                for (int i = 0; i < value.Length; i++) variant[i] = (byte)(value[i] ^ DukptMask[i % 16]);
                IObjectHandle dukpt = Create(s, TdesType(value.Length), variant);
                Array.Clear(variant);
                return new TokenKey(this, algorithm, value.Length, whole, left, right, dukpt);
            });
        }
        finally
        {
            Array.Clear(value);
        }
    }

    /// <inheritdoc />
    public KeyHandle DeriveByEncryption(KeyHandle parent, KeyAlgorithm derivedAlgorithm, ReadOnlySpan<byte> data)
    {
        var p = Own(parent);
        byte[] bytes = data.ToArray();
        return WithOwner(s =>
        {
            if (derivedAlgorithm == KeyAlgorithm.Aes) return new TokenKey(this, derivedAlgorithm, bytes.Length, Derive(s, p, CKK.CKK_AES, bytes), null, null, null);
            IObjectHandle whole = Derive(s, p, TdesType(bytes.Length), bytes);
            // ECB(parent, d0 ‖ d0) = K_L ‖ K_L: the single-DES halves of the derived key, derived without leaving the token.
            IObjectHandle left = Derive(s, p, CKK.CKK_DES2, [.. bytes.AsSpan(0, 8), .. bytes.AsSpan(0, 8)]);
            IObjectHandle right = Derive(s, p, CKK.CKK_DES2, [.. bytes.AsSpan(8, 8), .. bytes.AsSpan(8, 8)]);
            return new TokenKey(this, derivedAlgorithm, bytes.Length, whole, left, right, null);
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

    /// <summary>Logs out, closes every session (destroying session keys) and unloads the module.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        while (_idle.TryTake(out ISession? s)) s.Dispose();
        try { _owner.Logout(); } catch (Pkcs11Exception) { /* already logged out or token gone */ }
        _owner.Dispose();
        _library.Dispose();
        _available.Dispose();
    }

    private static CKK TdesType(int length) => length == 16 ? CKK.CKK_DES2 : CKK.CKK_DES3;

    private static CKM EcbMechanism(TokenKey k, KeyPart part) => k.Algorithm == KeyAlgorithm.Aes && part == KeyPart.Whole ? CKM.CKM_AES_ECB : CKM.CKM_DES3_ECB;

    private static List<IObjectAttribute> Template(ISession s, CKK type, byte[]? value)
    {
        var f = s.Factories.ObjectAttributeFactory;
        var attributes = new List<IObjectAttribute>
        {
            f.Create(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY),
            f.Create(CKA.CKA_KEY_TYPE, type),
            f.Create(CKA.CKA_TOKEN, false),
            f.Create(CKA.CKA_PRIVATE, true),
            f.Create(CKA.CKA_SENSITIVE, true),
            f.Create(CKA.CKA_EXTRACTABLE, false),
            f.Create(CKA.CKA_ENCRYPT, true),
            f.Create(CKA.CKA_DECRYPT, true),
            f.Create(CKA.CKA_SIGN, true),
            f.Create(CKA.CKA_VERIFY, true),
            f.Create(CKA.CKA_DERIVE, true),
        };
        if (value is not null) attributes.Add(f.Create(CKA.CKA_VALUE, value));
        else if (type == CKK.CKK_AES) attributes.Add(f.Create(CKA.CKA_VALUE_LEN, 16UL));
        return attributes;
    }

    private static IObjectHandle Create(ISession s, CKK type, byte[] value) => s.CreateObject(Template(s, type, value));

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
        lock (_ownerLock) return Guard(() => action(_owner));
    }

    private T WithSession<T>(Func<ISession, T> action)
    {
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
            session?.Dispose();
            _available.Release();
        }
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

    private static bool IsUnavailable(CKR rv) => rv is CKR.CKR_DEVICE_REMOVED or CKR.CKR_DEVICE_ERROR or CKR.CKR_TOKEN_NOT_PRESENT
        or CKR.CKR_SESSION_HANDLE_INVALID or CKR.CKR_SESSION_CLOSED or CKR.CKR_USER_NOT_LOGGED_IN or CKR.CKR_CRYPTOKI_NOT_INITIALIZED
        or CKR.CKR_DEVICE_MEMORY or CKR.CKR_HOST_MEMORY or CKR.CKR_GENERAL_ERROR;

    /// <summary>A key as token objects: the key and the derived objects composed algorithms need.</summary>
    private sealed class TokenKey(Pkcs11CipherEngine engine, KeyAlgorithm algorithm, int length, IObjectHandle whole, IObjectHandle? left, IObjectHandle? right, IObjectHandle? variant)
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

        protected override void Dispose(bool disposing)
        {
            if (disposing && Interlocked.Exchange(ref _destroyed, 1) == 0 && Volatile.Read(ref Engine._disposed) == 0)
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
