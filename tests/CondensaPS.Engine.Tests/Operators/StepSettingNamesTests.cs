using CondensaPS.Engine.Operations;

namespace CondensaPS.Engine.Tests.Operators;

/// <summary>PowerShell parameter values (PascalCase) become strategy keys and values (kebab-case).</summary>
public class StepSettingNamesTests
{
    [Theory]
    [InlineData("CrossEntropy", "cross-entropy")]
    [InlineData("TeacherLabel", "teacher-label")]
    [InlineData("LC", "lc")]
    [InlineData("BFloat16", "bfloat16")]
    [InlineData("Int8", "int8")]
    [InlineData("cross-entropy", "cross-entropy")]
    // A list typed as one string ('CrossEntropy,TeacherLabel', as pwsh -File passes it) keeps its separators clean.
    [InlineData("CrossEntropy,TeacherLabel", "cross-entropy,teacher-label")]
    [InlineData("CrossEntropy, Distillation", "cross-entropy, distillation")]
    public void ToKebab_turns_PascalCase_words_into_kebab_case(string pascal, string kebab) =>
        Assert.Equal(kebab, StepSettings.ToKebab(pascal));
}
