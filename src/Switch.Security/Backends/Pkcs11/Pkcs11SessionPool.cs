using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;
using Net.Pkcs11Interop.HighLevelAPI.Factories;

namespace Switch.Security.Backends.Pkcs11;

/// <summary>
/// The loaded PKCS#11 module and its sessions: one long-lived, logged-in owner session that creates and destroys key
/// objects (session objects die with the session that made them), and a bounded pool of sessions for operations (a
/// PKCS#11 session is single-threaded). Token errors are classified by their CKR code: unavailable or refused.
/// </summary>
internal sealed class Pkcs11SessionPool : IDisposable
{
    private readonly IPkcs11Library _library;
    private readonly ISlot _slot;
    private readonly ISession _owner;
    private readonly object _ownerLock = new();
    private readonly ConcurrentBag<ISession> _idle = [];
    private readonly SemaphoreSlim _available;
    private readonly Pkcs11Options _options;
    private readonly IDisposable? _afterUnload;
    private int _disposed;

    static Pkcs11SessionPool()
    {
        // Pkcs11Interop binds dlopen through "libdl", which glibc ≥ 2.34 ships only as libdl.so.2 (no dev symlink
        // on a runtime-only machine); resolve it explicitly so no extra Debian package is needed.
        NativeLibrary.SetDllImportResolver(typeof(Pkcs11InteropFactories).Assembly, (name, _, _) =>
            name == "libdl" && (NativeLibrary.TryLoad("libdl.so.2", out IntPtr h) || NativeLibrary.TryLoad("libc.so.6", out h)) ? h : IntPtr.Zero);
    }

    /// <summary>Loads the module, finds (or initialises) the token and logs in; <paramref name="afterUnload"/> is disposed after C_Finalize.</summary>
    public Pkcs11SessionPool(Pkcs11Options options, IDisposable? afterUnload)
    {
        _options = options;
        _afterUnload = afterUnload;
        if (!File.Exists(options.ModulePath)) throw new HsmUnavailableException($"pkcs11: module {options.ModulePath} not found (install softhsm2 or configure the module path)");
        var factories = new Pkcs11InteropFactories();
        try
        {
            _library = factories.Pkcs11LibraryFactory.LoadPkcs11Library(factories, options.ModulePath, AppType.MultiThreaded);
            _slot = options.InitializeFreeSlotWithSoPin is { } soPin ? InitializeFreeSlot(_library, options, soPin) : FindSlot(_library, options);
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

    /// <summary>True once disposed.</summary>
    public bool IsClosed => Volatile.Read(ref _disposed) == 1;

    private static ISlot FindSlot(IPkcs11Library library, Pkcs11Options options) =>
        library.GetSlotList(SlotsType.WithTokenPresent).FirstOrDefault(s => (options.SlotId is null || s.SlotId == options.SlotId) && s.GetTokenInfo().Label.Trim() == options.TokenLabel)
            ?? throw new HsmUnavailableException(options.SlotId is null ? $"pkcs11: no token labelled '{options.TokenLabel}'" : $"pkcs11: no token labelled '{options.TokenLabel}' in slot {options.SlotId}");

    private static ISlot InitializeFreeSlot(IPkcs11Library library, Pkcs11Options options, string soPin)
    {
        // SoftHSM2 always offers one uninitialised token; in a fresh token directory it is the only slot.
        ISlot slot = library.GetSlotList(SlotsType.WithTokenPresent).FirstOrDefault(s => !s.GetTokenInfo().TokenFlags.TokenInitialized)
            ?? throw new HsmUnavailableException("pkcs11: the module offers no free slot for a throwaway token");
        slot.InitToken(soPin, options.TokenLabel);
        using ISession session = slot.OpenSession(SessionType.ReadWrite);
        session.Login(CKU.CKU_SO, soPin);
        session.InitPin(options.UserPin);
        session.Logout();
        return slot;
    }

    /// <summary>Runs <paramref name="action"/> on the owner session (object creation and destruction), serialised.</summary>
    public T WithOwner<TState, T>(TState state, Func<ISession, TState, T> action)
    {
        ThrowIfClosed();
        lock (_ownerLock)
        {
            try
            {
                return action(_owner, state);
            }
            catch (Pkcs11Exception ex)
            {
                throw Classify(ex);
            }
        }
    }

    /// <summary>Runs <paramref name="action"/> on a pooled session; a session that failed is closed, not reused.</summary>
    public T WithSession<TState, T>(TState state, Func<ISession, TState, T> action)
    {
        ThrowIfClosed();
        if (!_available.Wait(_options.SessionWaitMs)) throw new HsmUnavailableException($"pkcs11: no free session within {_options.SessionWaitMs} ms ({_options.SessionsMax} in use)");
        ISession? session = null;
        try
        {
            session = _idle.TryTake(out ISession? s) ? s : _slot.OpenSession(SessionType.ReadOnly);
            T result = action(session, state);
            _idle.Add(session);
            session = null;
            return result;
        }
        catch (Pkcs11Exception ex)
        {
            throw Classify(ex);
        }
        finally
        {
            if (session is not null) CloseQuietly(session);
            _available.Release();
        }
    }

    /// <summary>True when the token offers <paramref name="mechanism"/>.</summary>
    public bool Supports(CKM mechanism) => _slot.GetMechanismList().Contains(mechanism);

    /// <summary>Fault injection (FAULTS.md F16): C_CloseAllSessions, which is what a token removal does.</summary>
    public void CloseAllSessions()
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
            _afterUnload?.Dispose();
        }
    }

    /// <summary>The exception for a token error, chosen by its CKR code.</summary>
    public static Exception Classify(Pkcs11Exception ex) => IsUnavailable(ex.RV)
        ? new HsmUnavailableException($"pkcs11: token unavailable ({ex.RV})", ex)
        : new HsmErrorException(ex.RV.ToString(), $"pkcs11: token refused the operation ({ex.RV})");

    // The engine only uses handles it created, so an invalid key or object handle means the token lost its objects
    // (sessions closed, token reset): as unavailable as a removed device until the keys are loaded again.
    private static bool IsUnavailable(CKR rv) => rv is CKR.CKR_KEY_HANDLE_INVALID or CKR.CKR_OBJECT_HANDLE_INVALID or CKR.CKR_DEVICE_REMOVED or CKR.CKR_DEVICE_ERROR or CKR.CKR_TOKEN_NOT_PRESENT
        or CKR.CKR_SESSION_HANDLE_INVALID or CKR.CKR_SESSION_CLOSED or CKR.CKR_USER_NOT_LOGGED_IN or CKR.CKR_CRYPTOKI_NOT_INITIALIZED
        or CKR.CKR_DEVICE_MEMORY or CKR.CKR_HOST_MEMORY or CKR.CKR_GENERAL_ERROR;

    // Closing a session the token already dropped reports an error; there is nothing left to release.
    private static void CloseQuietly(ISession session)
    {
        try { session.Dispose(); }
        catch (Pkcs11Exception) { /* session already gone with the token */ }
    }

    private void ThrowIfClosed()
    {
        if (IsClosed) throw new HsmUnavailableException("pkcs11: the token connection is closed");
    }
}
