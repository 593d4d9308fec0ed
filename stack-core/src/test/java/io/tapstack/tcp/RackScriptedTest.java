package io.tapstack.tcp;

import java.util.function.Consumer;

import static io.tapstack.tcp.TcpScript.ACK;
import static io.tapstack.tcp.TcpScript.MS;
import static io.tapstack.tcp.TcpScript.NONE;
import static io.tapstack.tcp.TcpScript.PSH;
import static io.tapstack.tcp.TcpScript.bytes;
import static io.tapstack.tcp.TcpScript.mss;
import static io.tapstack.tcp.TcpScript.options;
import static io.tapstack.tcp.TcpScript.sack;
import static io.tapstack.tcp.TcpScript.sackPermitted;

/**
 * The scripted peer the RACK-TLP tests share: it opens with SACK and MSS 1000 (no timestamps) and answers the SYN-ACK
 * after {@link #RTT}, so SRTT and RACK.min_RTT start at 100 ms, RTTVAR at 50 ms and the RTO at 300 ms; NewReno keeps
 * the windows simple. {@code seg(i)} is the first sequence number of the i-th 1,000-byte segment Si.
 */
abstract class RackScriptedTest
{
    static final long RTT = 100 * MS;

    TcpScript t;
    TcpConnection c;

    int seg(final int i)
    {
        return t.stack(1 + 1000 * i);
    }

    /** Opens the connection with NewReno and whatever else {@code config} sets. */
    void open(final Consumer<TcpConfig> config)
    {
        t = new TcpScript(tcp ->
        {
            tcp.congestionControl(CongestionAlgorithm.NEWRENO);
            config.accept(tcp);
        });
        t.listen(4);
        t.synToListener(options(mss(1000), sackPermitted()));
        t.s.advance(RTT);
        t.send(ACK, t.peer(1), t.stack(1));
        c = t.accepted.remove(0);
    }

    /** Writes and expects S{first}..S{first+n-1} at once, then nothing more. */
    void sendSegments(final int first, final int n)
    {
        t.write(c, bytes(1000 * n));
        for (int i = first; i < first + n; i++)
        {
            t.expect(ACK | (i == first + n - 1 ? PSH : 0), seg(i), t.peer(1), 1000);
        }
        t.expectNothing();
    }

    /** An ACK from the peer of everything before {@code ack}, with SACK blocks as edges. */
    void ack(final int ack, final int... edges)
    {
        t.send(ACK, t.peer(1), ack, t.peerWindow, edges.length > 0 ? sack(edges) : NONE, NONE);
    }
}
