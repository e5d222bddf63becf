// Asio types as Funnel uses them: sockets bound to io_context's own executor (8 bytes, instead of
// any_io_executor's 48) because every idle client holds one. Declared in namespace funnel (not
// funnel::net) on purpose: they are the vocabulary of every I/O module (asio::, TcpSocket), and
// live in net/ because net/ is the lowest module that does I/O.
#pragma once

#include <boost/asio/basic_stream_socket.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

namespace funnel {

namespace asio = boost::asio;
using Executor = asio::io_context::executor_type;
using TcpSocket = asio::basic_stream_socket<asio::ip::tcp, Executor>;
using SteadyTimer =
    asio::basic_waitable_timer<std::chrono::steady_clock,
                               asio::wait_traits<std::chrono::steady_clock>, Executor>;

}  // namespace funnel
