using Tollgate.Core.Validation;

namespace Tollgate.Core.Tests;

public sealed class UserValidatorTests
{
    [Fact]
    public void A_normal_user_is_valid() => Assert.True(UserValidator.Validate("alice", "correct horse", ["subscriber"]).IsEmpty);

    [Theory]
    [InlineData(null, "username")]
    [InlineData("a", "username")]
    [InlineData("has space", "username")]
    public void Usernames_are_checked(string? username, string field) =>
        Assert.True(UserValidator.Validate(username, "long enough pw", null).Has(field));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("short")]
    public void Passwords_need_a_minimum_length(string? password) =>
        Assert.True(UserValidator.Validate("alice", password, null).Has("password"));

    [Fact]
    public void Unknown_roles_are_refused() =>
        Assert.True(UserValidator.Validate("alice", "long enough pw", ["root"]).Has("roles"));

    [Theory]
    [InlineData(null)]
    [InlineData(" ")]
    public void Application_name_is_required(string? name) =>
        Assert.True(UserValidator.ValidateApplicationName(name).Has("name"));
}
