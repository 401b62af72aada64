/* A stand-in for Windows' bcryptprimitives.dll, for running slipway.exe under Wine in the tests
 * only (never shipped, never committed as a binary: tests/integration/windows/wine.rs builds
 * it with the MinGW-w64 compiler that links slipway.exe and puts it beside the .exe).
 *
 * Why: Rust's standard library (1.78 and later) takes its random bytes (HashMap keys) from
 * ProcessPrng in bcryptprimitives.dll, which Windows 10 and later have; Wine 8.0 (Debian 12)
 * does not provide that DLL, so slipway.exe would not start. ProcessPrng's contract
 * (BOOL ProcessPrng(PBYTE, SIZE_T), always TRUE) is filled from RtlGenRandom (advapi32's
 * SystemFunction036), which Wine implements. Written for this project.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
