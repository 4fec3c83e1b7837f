package dev.keyring.benchmarks.wire;

import dev.keyring.protocol.channel.Opcode;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The echo on Netty 4.2: the NIO transport with one event-loop thread (the listener's and the
 * connection's, as the selector thread of {@link NioEngineEchoServer}), an {@code SslHandler}, a
 * {@link LengthFieldBasedFrameDecoder} on the 4-byte length and a handler that writes each answer
 * as its request is read and flushes once per read (so the answers to the requests of one read
 * leave together).
 *
 * <p>TLS is either the JDK's ({@link SslProvider#JDK}: the same engine as {@link
 * NioEngineEchoServer}, and what Netty falls back to on a machine without the native library) or
 * BoringSSL through netty-tcnative ({@link SslProvider#OPENSSL}). The latter is never silently
 * replaced by the former: when {@link OpenSsl#isAvailable()} is false, {@link #start} fails with
 * {@link OpenSsl#unavailabilityCause()}.
 */
final class NettyEchoServer extends FailureKeeper {
  private final EventLoopGroup group;
  private final Channel listener;

  private NettyEchoServer(SslContext tls) throws InterruptedException {
    group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    ServerBootstrap b =
        new ServerBootstrap()
            .group(group)
            .channel(NioServerSocketChannel.class)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    ch.pipeline()
                        .addLast(tls.newHandler(ch.alloc()))
                        .addLast(new LengthFieldBasedFrameDecoder(1024, 0, 4))
                        .addLast(new Echo());
                  }
                });
    listener = b.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
  }

  /**
   * Starts the server with BoringSSL ({@code openssl} true) or the JDK's TLS.
   *
   * @throws IllegalStateException when BoringSSL is asked for and netty-tcnative cannot be loaded
   */
  static NettyEchoServer start(WireCertificates certificates, boolean openssl) throws Exception {
    SslProvider provider = openssl ? SslProvider.OPENSSL : SslProvider.JDK;
    if (openssl && !OpenSsl.isAvailable()) {
      throw new IllegalStateException(
          "netty-openssl: netty-tcnative (BoringSSL) is not available on this machine; this row"
              + " is not measured rather than falling back to the JDK's TLS",
          OpenSsl.unavailabilityCause());
    }
    SslContext tls =
        SslContextBuilder.forServer(certificates.serverKey, certificates.server, certificates.ca)
            .sslProvider(provider)
            .trustManager(certificates.ca)
            .clientAuth(ClientAuth.REQUIRE)
            .protocols("TLSv1.3")
            .build();
    if (openssl) {
      System.out.println(
          "netty-openssl: "
              + OpenSsl.versionString()
              + " through netty-tcnative, provider "
              + provider);
    }
    return new NettyEchoServer(tls);
  }

  /** Answers each request frame under its id. */
  private final class Echo extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf frame = (ByteBuf) msg;
      try {
        int length = frame.getInt(frame.readerIndex());
        if (length != EchoFrames.REQUEST_BYTES - 4) {
          throw new IllegalStateException(EchoFrames.badRequestLength(length));
        }
        int id = frame.getInt(frame.readerIndex() + 4);
        ByteBuf answer = ctx.alloc().buffer(EchoFrames.ANSWER_BYTES);
        answer.writerIndex(EchoFrames.ANSWER_BYTES);
        answer.setInt(0, EchoFrames.ANSWER_BYTES - 4);
        answer.setInt(4, id);
        answer.setByte(8, Opcode.SIGN.code());
        answer.setByte(9, 0);
        for (int i = 10; i < EchoFrames.ANSWER_BYTES; i++) {
          answer.setByte(i, i * 31 + id);
        }
        ctx.write(answer, ctx.voidPromise());
      } finally {
        frame.release();
      }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      ctx.flush();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      fail(cause);
      ctx.close();
    }
  }

  @Override
  public int port() {
    return ((InetSocketAddress) listener.localAddress()).getPort();
  }

  @Override
  public void close() {
    closed = true;
    listener.close().syncUninterruptibly();
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }
}
