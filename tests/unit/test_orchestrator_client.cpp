// Unit tests for sorting the orchestrator's answers (the spec's status table) and URL encoding.
#include <doctest.h>

#include <ctime>
#include <string>

#include "supervisor/orchestrator_client.h"

using supervisor::classify;
using supervisor::HttpResponse;
using supervisor::Reply;

namespace {

HttpResponse response(long status, const std::string& body = "") {
    HttpResponse r;
    r.status = status;
    r.body.assign(body.begin(), body.end());
    r.elapsed_s = 0.25;
    return r;
}

}  // namespace

TEST_CASE("2xx is ok") {
    for (long s : {200L, 204L}) {
        INFO("status " << s);
        auto o = classify(response(s));
        CHECK(o.reply == Reply::Ok);
        CHECK(o.status == s);
        CHECK(o.elapsed_s == doctest::Approx(0.25));
        CHECK_FALSE(o.retry_after_s.has_value());
    }
}

TEST_CASE("404 is not found and 409 is a conflict") {
    CHECK(classify(response(404)).reply == Reply::NotFound);
    CHECK(classify(response(409)).reply == Reply::Conflict);
}

TEST_CASE("429 is rate limited, with the server's Retry-After") {
    auto r = response(429, R"({"name":"TooManyRequests","message":"slow down","httpCode":429})");
    r.retry_after = "3";
    auto o = classify(r);
    CHECK(o.reply == Reply::RateLimited);
    REQUIRE(o.retry_after_s.has_value());
    CHECK(*o.retry_after_s == doctest::Approx(3));
    CHECK(o.message == "slow down");

    auto without = classify(response(429));
    CHECK(without.reply == Reply::RateLimited);
    CHECK_FALSE(without.retry_after_s.has_value());

    auto garbage = response(429);
    garbage.retry_after = "whenever";
    CHECK_FALSE(classify(garbage).retry_after_s.has_value());
}

TEST_CASE("429 with an HTTP-date in the future") {
    auto r = response(429);
    const std::time_t later = std::time(nullptr) + 120;
    char date[64];
    std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", std::gmtime(&later));
    r.retry_after = date;
    auto o = classify(r);
    REQUIRE(o.retry_after_s.has_value());
    CHECK(*o.retry_after_s >= 115);
    CHECK(*o.retry_after_s <= 120);
}

TEST_CASE("400, 422 and other 4xx are rejected") {
    for (long s : {400L, 401L, 403L, 422L}) {
        INFO("status " << s);
        CHECK(classify(response(s)).reply == Reply::Rejected);
    }
}

TEST_CASE("5xx is retried") {
    for (long s : {500L, 502L, 503L, 504L}) {
        INFO("status " << s);
        CHECK(classify(response(s)).reply == Reply::Retry);
    }
    auto r = response(503);
    r.retry_after = "7";
    auto o = classify(r);
    CHECK(o.reply == Reply::Retry);
    CHECK(o.retry_after_s == std::optional<double>(7));
}

TEST_CASE("no response is retried, with the network error") {
    auto r = response(0);
    r.error = "Couldn't connect to server";
    auto o = classify(r);
    CHECK(o.reply == Reply::Retry);
    CHECK(o.status == 0);
    CHECK(o.message.find("Couldn't connect to server") != std::string::npos);
    auto bare = classify(response(0));
    CHECK(bare.reply == Reply::Retry);
    CHECK_FALSE(bare.message.empty());
}

TEST_CASE("the message of a JSON error body is extracted") {
    auto o = classify(response(422, R"({"name":"BadRequest","message":"invalid proof for input 2","httpCode":422})"));
    CHECK(o.reply == Reply::Rejected);
    CHECK(o.message == "invalid proof for input 2");
}

TEST_CASE("a JSON message stays one line, UTF-8 kept") {
    auto o = classify(response(400, "{\"message\":\"bad proof\\nat input 2\\r\\tcaf\u00e9\"}"));
    CHECK(o.message.find('\n') == std::string::npos);
    CHECK(o.message.find('\r') == std::string::npos);
    CHECK(o.message.find('\t') == std::string::npos);
    CHECK(o.message.find("bad proof") != std::string::npos);
    CHECK(o.message.find("at input 2") != std::string::npos);
    CHECK(o.message.find("caf\xc3\xa9") != std::string::npos);
}

TEST_CASE("a body that is JSON without a message is shown as it is") {
    auto o = classify(response(400, R"({"error":"nope"})"));
    CHECK(o.message.find("nope") != std::string::npos);
    auto number = classify(response(400, R"({"message":42})"));
    CHECK(number.message.find("42") != std::string::npos);
}

TEST_CASE("an HTML body becomes one printable line") {
    const std::string html =
        "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\n\t<center><h1>502 Bad "
        "Gateway</h1></center>\n<hr><center>nginx</center>\n</body>\n</html>\n" +
        std::string(500, 'x');
    auto o = classify(response(502, html));
    CHECK(o.reply == Reply::Retry);
    CHECK(o.message.find("502 Bad Gateway") != std::string::npos);
    CHECK(o.message.size() < 300);
    for (char c : o.message) {
        INFO("char " << static_cast<int>(static_cast<unsigned char>(c)));
        CHECK((c >= 0x20 && c < 0x7f));
    }
}

TEST_CASE("binary garbage becomes printable") {
    std::string body = "bad\x01\x02\xff\xfe\x00tail";
    body.push_back('\0');
    auto o = classify(response(500, body));
    for (char c : o.message) CHECK((c >= 0x20 && c < 0x7f));
    CHECK(o.message.find("bad") != std::string::npos);
}

TEST_CASE("url_encode keeps unreserved characters and escapes the rest") {
    CHECK(supervisor::url_encode("a b/c") == "a%20b%2Fc");
    CHECK(supervisor::url_encode("AZaz09-_.~") == "AZaz09-_.~");
    CHECK(supervisor::url_encode("?&=#%+") == "%3F%26%3D%23%25%2B");
    CHECK(supervisor::url_encode("\xc3\xa9") == "%C3%A9");
    CHECK(supervisor::url_encode("") == "");
}

TEST_CASE("reply names") {
    CHECK(supervisor::to_string(Reply::RateLimited) == "rate limited");
    CHECK(supervisor::to_string(Reply::Retry) == "retry");
}
