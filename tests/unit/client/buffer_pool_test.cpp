// BufferPool: buffers come back for reuse, and large ones are really freed (issue #14 item 2).
#include "client/buffer_pool.hpp"

#include <gtest/gtest.h>

namespace funnel::client {
namespace {

TEST(BufferPool, ReleasedLargeBufferIsFreedAndCounted) {
  BufferPool pool;
  std::string buffer = pool.acquire();
  buffer.assign(4 << 20, 'x');
  const std::size_t capacity = buffer.capacity();
  pool.release(buffer);
  EXPECT_LE(buffer.capacity(), 15u) << "the released buffer kept its allocation";
  EXPECT_EQ(pool.take_freed_bytes(), capacity);
  EXPECT_EQ(pool.take_freed_bytes(), 0u);
}

TEST(BufferPool, SmallBufferIsKeptForReuse) {
  BufferPool pool;
  std::string buffer = pool.acquire();
  buffer.assign(1000, 'x');
  const char* storage = buffer.data();
  pool.release(buffer);
  EXPECT_LE(buffer.capacity(), 15u);
  EXPECT_EQ(pool.take_freed_bytes(), 0u);
  const std::string again = pool.acquire();
  EXPECT_EQ(again.data(), storage);
  EXPECT_TRUE(again.empty());
}

}  // namespace
}  // namespace funnel::client
