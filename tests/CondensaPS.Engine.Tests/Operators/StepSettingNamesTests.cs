using CondensaPS.Engine.Operations;

namespace CondensaPS.Engine.Tests.Operators;

/// <summary>Enum names and -Loss terms (PascalCase) become strategy values (kebab-case). Comma-joined -Loss lists are
/// split by the cmdlet before this (RetrainCmdletTests).</summary>
public class StepSettingNamesTests
{
    [Theory]
    [InlineData("CrossEntropy", "cross-entropy")]
    [InlineData("TeacherLabel", "teacher-label")]
    [InlineData("LC", "lc")]
    [InlineData("BFloat16", "bfloat16")]
    [InlineData("Int8", "int8")]
    [InlineData("cross-entropy", "cross-entropy")]
    public void ToKebab_turns_PascalCase_words_into_kebab_case(string pascal, string kebab) =>
        Assert.Equal(kebab, StepSettings.ToKebab(pascal));
}
