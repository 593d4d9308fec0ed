package io.tapstack.forward;

import io.tapstack.forward.dns.DnsForwarder;

/**
 * The DNS forwarder on the engine's thread. It polls its host sockets in its duty cycle and nothing wakes the loop
 * when a resolver answers, so while a query is out the loop's idle wait is kept to {@link #POLL_NS}: an answer waits
 * at most that long. With no query out it waits as long as the forwarder's own deadlines allow.
 */
final class DnsDutyCycle implements ForwardLoop.DutyCycle
{
    /** The longest an answer from a resolver waits to be polled. */
    static final long POLL_NS = 1_000_000L;

    private final DnsForwarder dns;
    private long nowNs;

    DnsDutyCycle(final DnsForwarder dns)
    {
        this.dns = dns;
    }

    @Override
    public int doWork(final long nowNs)
    {
        this.nowNs = nowNs;
        return dns.doWork(nowNs);
    }

    @Override
    public long nextDeadlineNs()
    {
        final long deadline = dns.nextDeadlineNs();
        return dns.outstandingQueries() > 0 ? Math.min(deadline, nowNs + POLL_NS) : deadline;
    }
}
