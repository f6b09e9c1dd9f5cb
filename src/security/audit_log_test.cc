#include "security/audit_log.h"

#include <gtest/gtest.h>

#include "core/file_util.h"
#include "core/testing/temp_directory.h"

namespace lp::security {
namespace {

TEST(AuditLogTest, AppendsOneJsonLinePerAnsweredAdminRequest) {
  test_support::TempDirectory directory("audit");
  metrics::Registry registry;
  const auto path = directory.path() / "audit.jsonl";
  auto audit = AuditLog::Open(path, registry);
  ASSERT_TRUE(audit.has_value()) << audit.error().message;
  (*audit)->Record("reload tokens", {{"token", "SIGHUP"}, {"result", "3 \"tokens\""}});
  const auto route = Audited(
      **audit, http::Route{"POST", "/api/replay", [](http::Request&, http::Responder respond) {
                             respond(http::JsonResponse(202, "{}"));
                           }});
  http::Request request;
  request.query = "from=2025-01-01&to=2025-01-02";
  request.principal = "ops";
  request.tenant = "default";
  unsigned status = 0;
  route.handler(request, [&](http::Response response) { status = response.status; });
  EXPECT_EQ(status, 202U);

  const auto text = ReadWholeFile(path);
  ASSERT_TRUE(text.has_value());
  const auto first_end = text->find('\n');
  ASSERT_NE(first_end, std::string::npos);
  const std::string first = text->substr(0, first_end);
  const std::string second = text->substr(first_end + 1);
  EXPECT_TRUE(first.starts_with("{\"time\":\"")) << first;
  EXPECT_NE(first.find(R"("action":"reload tokens","token":"SIGHUP","result":"3 \"tokens\""})"),
            std::string::npos)
      << first;
  EXPECT_NE(second.find(R"("action":"POST /api/replay","token":"ops","tenant":"default",)"
                        R"("query":"from=2025-01-01&to=2025-01-02","status":202})"
                        "\n"),
            std::string::npos)
      << second;
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::others_read,
            std::filesystem::perms::none);
}

}  // namespace
}  // namespace lp::security
