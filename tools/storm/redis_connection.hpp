// One client connection from a container to the target (Redis or Funnel), as a function's
// Redis client would hold it: connect, send a command, read its reply, QUIT. Every operation is
// bounded by a timeout and reports an ErrorKind instead of throwing. Runs on the container's
// own io_context; one operation at a time.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "net/asio_types.hpp"
#include "resp/reply_framer.hpp"
#include "storm/error_kind.hpp"

namespace funnel::storm {

class RedisConnection {
 public:
  explicit RedisConnection(asio::io_context& io) : socket_(io), timer_(io) {}

  // Opens a socket (EMFILE shows here when the container is out of descriptors) and connects.
  asio::awaitable<ErrorKind> connect(const asio::ip::tcp::endpoint& target,
                                     std::chrono::milliseconds timeout);
  // Sends one encoded request and reads its reply; an error reply is classified.
  asio::awaitable<ErrorKind> command(std::string_view request, std::chrono::milliseconds timeout);
  // The same, and the whole reply (RESP bytes) into reply when there is one.
  asio::awaitable<ErrorKind> command(std::string_view request, std::chrono::milliseconds timeout,
                                     std::string& reply);
  // QUIT, its reply, then the server's close: the server closes first, so the TIME_WAIT state
  // stays on its side and this container's ephemeral ports are free again at once.
  asio::awaitable<void> quit(std::chrono::milliseconds timeout);
  // Whether the socket holds a descriptor (a leaked connection keeps one even after the server
  // dropped it).
  bool holds_descriptor() const { return socket_.is_open(); }
  void close();

 private:
  ErrorKind classify(const boost::system::error_code& ec, Phase phase) const;
  asio::awaitable<ErrorKind> exchange(std::string_view request, std::chrono::milliseconds timeout,
                                      std::string* reply);
  // Reads until one whole reply is buffered; kNone with its length in reply_length.
  asio::awaitable<ErrorKind> read_reply(std::chrono::milliseconds timeout,
                                        std::size_t& reply_length);

  TcpSocket socket_;
  SteadyTimer timer_;
  bool replied_ = false;  // a reply arrived on this connection (resets are not refusals then)
  std::string in_;
  resp::ReplyFramer framer_;
};

}  // namespace funnel::storm
