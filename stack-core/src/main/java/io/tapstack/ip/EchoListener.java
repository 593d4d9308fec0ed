package io.tapstack.ip;

/** Told of each echo reply the stack receives. Called on the stack thread: return quickly. */
@FunctionalInterface
public interface EchoListener
{
    /**
     * @param source        who replied
     * @param rttNs         now minus the send time the stack wrote into the request, or -1 if the payload was
     *                      too short to carry it
     */
    void onEchoReply(int source, int identifier, int sequence, int payloadLength, long rttNs);
}
