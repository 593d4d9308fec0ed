package io.tapstack.tcp;

/**
 * The congestion controls a connection can use: {@link TcpConfig#congestionControl(CongestionAlgorithm)} chooses
 * for new connections, {@link TcpConnection#congestionControl(CongestionAlgorithm)} for one connection before it
 * sends data.
 */
public enum CongestionAlgorithm
{
    /** RFC 9438 CUBIC with RFC 9406 HyStart++ slow start: the default, as in Linux, Windows and macOS. */
    CUBIC,
    /** RFC 5681 slow start and congestion avoidance with RFC 6582 NewReno fast recovery. */
    NEWRENO;

    /**
     * A new instance (allocates: once per connection).
     *
     * @param initialWindowSegments IW in segments; 0 for RFC 6928's.
     */
    public CongestionControl create(final int initialWindowSegments)
    {
        return this == CUBIC ? new Cubic(initialWindowSegments) : new NewReno(initialWindowSegments);
    }

    /** A new instance as {@code config} says: its initial window and RFC 7661 (allocates: once per connection). */
    public CongestionControl create(final TcpConfig config)
    {
        final AbstractCongestionControl cc = this == CUBIC ? new Cubic(config.initialWindowSegments())
            : new NewReno(config.initialWindowSegments());
        cc.windowValidation(config.congestionWindowValidation());
        return cc;
    }
}
