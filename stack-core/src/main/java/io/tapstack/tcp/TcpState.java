package io.tapstack.tcp;

/** The connection states of RFC 9293 §3.3.2 (figure 5). */
public enum TcpState
{
    CLOSED, LISTEN, SYN_SENT, SYN_RECEIVED, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING, LAST_ACK,
    TIME_WAIT;

    /** RFC 9293 §3.10.7.4: states after the handshake, where sequence numbers are synchronized. */
    public boolean isSynchronized()
    {
        return ordinal() >= ESTABLISHED.ordinal();
    }

    /** States in which the peer may still send us data. */
    public boolean canReceive()
    {
        return this == ESTABLISHED || this == FIN_WAIT_1 || this == FIN_WAIT_2;
    }
}
