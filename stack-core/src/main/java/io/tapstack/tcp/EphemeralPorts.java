package io.tapstack.tcp;

/**
 * Ephemeral port selection per RFC 6056 §3.3.4 (Algorithm 4, "double-hash"): the search for a free port starts at
 * an offset that a keyed hash of the destination decides, plus a counter kept per bucket of destinations, so a
 * destination sees ports that it cannot predict from another destination's, and reconnecting to the same one does
 * not reuse a port at once. Ports in 49152-65535 (RFC 6335 §6). Runs once per connection. Owned by the stack
 * thread.
 */
final class EphemeralPorts
{
    static final int FIRST = 49152;
    static final int COUNT = 65536 - FIRST;
    /** RFC 6056 §3.3.4: TABLE_LENGTH; a larger table keeps unrelated destinations' counters apart. */
    private static final int TABLE_LENGTH = 256;

    /** Decides whether a port is free for the destination being connected to. */
    interface Check
    {
        boolean isFree(int port);
    }

    private final KeyedHash offsetHash;
    private final KeyedHash indexHash;
    private final int[] table = new int[TABLE_LENGTH];

    EphemeralPorts(final byte[] offsetKey, final byte[] indexKey)
    {
        this.offsetHash = new KeyedHash(offsetKey);
        this.indexHash = new KeyedHash(indexKey);
    }

    /** A free port for a connection from {@code localAddress} to the remote address and port, or -1 if none. */
    int choose(final int localAddress, final int remoteAddress, final int remotePort, final Check check)
    {
        // RFC 6056 §3.3.4: offset = F(local_IP, remote_IP, remote_port, secret_key1)
        final int offset = offsetHash.begin().putInt(localAddress).putInt(remoteAddress).putShort(remotePort).hash();
        // index = G(local_IP, remote_IP, remote_port, secret_key2) % TABLE_LENGTH
        final int index = Integer.remainderUnsigned(
            indexHash.begin().putInt(localAddress).putInt(remoteAddress).putShort(remotePort).hash(), TABLE_LENGTH);
        for (int count = COUNT; count > 0; count--)
        {
            final int port = FIRST + Integer.remainderUnsigned(offset + table[index], COUNT);
            table[index]++;
            if (check.isFree(port))
            {
                return port;
            }
        }
        return -1;
    }
}
