package io.tapstack.tap;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import io.tapstack.trace.BpfProgram;

/**
 * Compiles a filter in tcpdump's syntax ({@code pcap-filter(7)}: {@code tcp port 80 and not arp}) into a classic
 * BPF {@link BpfProgram} with the system's libpcap, the compiler tcpdump itself uses: {@code pcap_open_dead} for
 * Ethernet, {@code pcap_compile} (optimised, as tcpdump does unless {@code -O}), and the instructions copied out.
 * A filter libpcap refuses is a {@link InvalidFilterException} carrying libpcap's own message
 * ({@code pcap_geterr}), the words tcpdump prints for the same mistake.
 *
 * <p>libpcap is loaded through JNA on first use: Debian's {@code libpcap0.8} package (a runtime dependency only
 * for filters; nothing else in the stack needs it). The program then runs in Java ({@code BpfInterpreter}), so
 * filtering a frame makes no native call. Thread-safe (calls into libpcap are serialised).
 */
public final class PcapFilterCompiler
{
    /** LINKTYPE_ETHERNET / DLT_EN10MB. */
    private static final int DLT_EN10MB = 1;
    /** DLT_RAW on Linux (a file's LINKTYPE_RAW, 101): frames that are bare IP packets, as a TUN's. */
    private static final int DLT_RAW = 12;
    private static final int SNAP_LENGTH = 262_144;
    /** PCAP_NETMASK_UNKNOWN: {@code ip broadcast} then needs a netmask and is refused, as in tcpdump -r. */
    public static final int NETMASK_UNKNOWN = 0xFFFF_FFFF;
    /** struct bpf_insn { u_short code; u_char jt; u_char jf; bpf_u_int32 k; } */
    private static final int INSTRUCTION_SIZE = 8;

    /** The sonames to try: the development link, then Debian's runtime names. */
    static final String[] LIBRARY_NAMES = {"pcap", "libpcap.so.0.8", "libpcap.so.1"};

    private static LibPcap library;
    private static String loadFailure;

    private PcapFilterCompiler()
    {
    }

    /** The part of libpcap this needs, bound through JNA (compilation is not on a per-frame path). */
    interface LibPcap extends Library
    {
        Pointer pcap_open_dead(int linkType, int snapLength);

        int pcap_compile(Pointer pcap, Pointer program, String expression, int optimize, int netmask);

        String pcap_geterr(Pointer pcap);

        void pcap_freecode(Pointer program);

        void pcap_close(Pointer pcap);

        String pcap_lib_version();
    }

    /**
     * Compiles {@code expression} for Ethernet frames with an unknown netmask.
     *
     * @throws InvalidFilterException with libpcap's message when the expression is not a valid filter
     * @throws LibpcapUnavailableException when libpcap cannot be loaded
     */
    public static BpfProgram compile(final String expression)
    {
        return compile(expression, NETMASK_UNKNOWN);
    }

    /**
     * Compiles {@code expression} for Ethernet frames; {@code netmask} (network byte order as an int, e.g.
     * 0xFFFFFF00) is what {@code ip broadcast} compares against.
     */
    public static BpfProgram compile(final String expression, final int netmask)
    {
        return compile(expression, netmask, false);
    }

    /**
     * Compiles {@code expression} for Ethernet frames or, with {@code rawIp}, for bare IP packets (a TUN's frames,
     * where the filter's offsets start at the IP header).
     */
    public static synchronized BpfProgram compile(final String expression, final int netmask, final boolean rawIp)
    {
        final LibPcap pcap = library();
        final Pointer handle = pcap.pcap_open_dead(rawIp ? DLT_RAW : DLT_EN10MB, SNAP_LENGTH);
        if (handle == null)
        {
            throw new LibpcapUnavailableException("pcap_open_dead failed");
        }
        // struct bpf_program { u_int bf_len; struct bpf_insn *bf_insns; }: the pointer is aligned to its size
        final Memory program = new Memory(2L * Native.POINTER_SIZE);
        program.clear();
        try
        {
            if (pcap.pcap_compile(handle, program, expression, 1, netmask) != 0)
            {
                throw new InvalidFilterException(pcap.pcap_geterr(handle));
            }
            try
            {
                final int n = program.getInt(0);
                final Pointer instructions = program.getPointer(Native.POINTER_SIZE);
                final int[] code = new int[n];
                final int[] jt = new int[n];
                final int[] jf = new int[n];
                final int[] k = new int[n];
                for (int i = 0; i < n; i++)
                {
                    final long at = (long)i * INSTRUCTION_SIZE;
                    code[i] = instructions.getShort(at) & 0xFFFF;
                    jt[i] = instructions.getByte(at + 2) & 0xFF;
                    jf[i] = instructions.getByte(at + 3) & 0xFF;
                    k[i] = instructions.getInt(at + 4);
                }
                return BpfProgram.of(code, jt, jf, k);
            }
            finally
            {
                pcap.pcap_freecode(program);
            }
        }
        finally
        {
            pcap.pcap_close(handle);
        }
    }

    /** libpcap's version string, e.g. "libpcap version 1.10.3 (with TPACKET_V3)". */
    public static synchronized String libraryVersion()
    {
        return library().pcap_lib_version();
    }

    /** Whether libpcap can be loaded here. */
    public static synchronized boolean isAvailable()
    {
        try
        {
            library();
            return true;
        }
        catch (final LibpcapUnavailableException ex)
        {
            return false;
        }
    }

    private static LibPcap library()
    {
        if (library != null)
        {
            return library;
        }
        if (loadFailure == null)
        {
            final StringBuilder failures = new StringBuilder();
            for (final String name : LIBRARY_NAMES)
            {
                try
                {
                    library = Native.load(name, LibPcap.class);
                    return library;
                }
                catch (final UnsatisfiedLinkError ex)
                {
                    failures.append(failures.length() == 0 ? "" : "; ").append(name).append(": ")
                        .append(ex.getMessage());
                }
            }
            loadFailure = failures.toString();
        }
        throw new LibpcapUnavailableException("libpcap is not installed (Debian: apt-get install libpcap0.8): "
            + loadFailure);
    }

    /** A filter expression libpcap refuses; the message is libpcap's ({@code pcap_geterr}). */
    public static final class InvalidFilterException extends IllegalArgumentException
    {
        InvalidFilterException(final String message)
        {
            super(message);
        }
    }

    /** libpcap cannot be loaded: filters in tcpdump's syntax are not available. */
    public static final class LibpcapUnavailableException extends IllegalStateException
    {
        LibpcapUnavailableException(final String message)
        {
            super(message);
        }
    }
}
